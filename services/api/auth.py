"""Sign-in for every role: login, refresh, logout, and who am I."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from services.api.openapi import operation
from services.auth import current_principal, requires
from services.auth.administration import change_own_password
from services.auth.decorators import check_rate, retry_later
from services.auth.passwords import WELL_KNOWN, verify_password
from services.auth.schemas import LoginIn, MeOut, PasswordChangeIn, RefreshIn, TokenOut
from services.auth.throttle import LoginThrottle
from services.auth.tokens import InvalidToken, open_session, refresh_session, revoke
from services.auth.users import AccountError
from services.http.errors import Unauthorized, Unprocessable
from services.http.validation import json_body
from services.store.account_admin import must_change_password
from services.store.accounts import login_record
from services.store.audit_log import acting_as

bp = Blueprint("auth", __name__, url_prefix="/api/v1/auth")
TAGS = ["auth"]


def _gf():
    return current_app.extensions["gridflow"]


@bp.post("/login")
@operation(
    "Exchange a username and password for an access and a refresh token",
    tags=TAGS,
    body=LoginIn,
    responses={200: TokenOut},
    errors=(400, 401, 413, 422, 429),
    public=True,
)
def login():
    body = json_body(LoginIn, max_bytes=16 * 1024)
    gf = _gf()
    address = request.remote_addr or "-"  # the client's, behind GRIDFLOW_TRUSTED_PROXIES
    # A coarse cap per address (an office behind one NAT signs in together at shift start):
    # a minute's worth at once; failures are slowed down per (user, address) below.
    per_minute = gf.config.login_rate_per_minute * 10
    check_rate("login-addr", address, per_minute, burst=per_minute)
    throttle = _throttle()
    wait = throttle.wait(body.username, address)
    if wait > 0:
        raise retry_later(wait, "too many failed sign-ins")
    if not gf.config.development and body.password.lower() in WELL_KNOWN:
        raise Unauthorized("well-known passwords are refused outside development mode")
    with gf.engine.begin() as conn:
        record = login_record(conn, body.username)
        user_id, password_hash, active = record if record else (None, None, False)
        if not verify_password(password_hash, body.password) or not active or user_id is None:
            throttle.failed(body.username, address)
            raise Unauthorized("wrong username or password")
        pair = open_session(conn, gf.config, user_id)
        must_change = must_change_password(conn, user_id)
    throttle.succeeded(body.username, address)
    return jsonify({**pair.as_json(), "must_change_password": must_change})


def _throttle() -> LoginThrottle:
    """This process's failed sign-in counts (created with the app's first login)."""
    return current_app.extensions.setdefault("gridflow.login_throttle", LoginThrottle())


@bp.post("/refresh")
@operation(
    "Trade a refresh token for a new token pair (each refresh token works once)",
    tags=TAGS,
    body=RefreshIn,
    responses={200: TokenOut},
    errors=(400, 401, 413, 422),
    public=True,
)
def refresh():
    body = json_body(RefreshIn, max_bytes=16 * 1024)
    gf = _gf()
    with gf.engine.begin() as conn:
        try:
            pair = refresh_session(conn, gf.config, body.refresh_token)
        except InvalidToken as exc:  # the transaction still commits a replay's revocation
            failure = exc
        else:
            return jsonify(pair.as_json())
    raise Unauthorized(str(failure))


@bp.post("/logout")
@operation(
    "Revoke the session of the Bearer token: its access and refresh tokens stop working",
    tags=TAGS,
    responses={204: None},
)
@requires()
def logout():
    gf = _gf()
    token = request.headers["Authorization"].partition(" ")[2].strip()
    with gf.engine.begin() as conn:
        revoke(conn, gf.config, token)
    return "", 204


@bp.get("/me")
@operation("The account behind the Bearer token", tags=TAGS, responses={200: MeOut})
@requires()
def me():
    p = current_principal()
    return jsonify(
        MeOut(
            user_id=p.user_id,
            username=p.username,
            role=p.role,
            cell_codes=sorted(p.cell_codes),
            jurisdiction_code=p.jurisdiction_code,
            department_code=p.department_code,
        ).model_dump(mode="json")
    )


@bp.post("/password")
@operation(
    "Change the caller's own password: the current one is required, the new one follows the "
    "same rules as `gridflow user create` (a one-time password is replaced this way)",
    tags=TAGS, body=PasswordChangeIn, responses={204: None}, errors=(400, 422),
)  # fmt: skip
@requires()
def change_password():
    body = json_body(PasswordChangeIn, max_bytes=16 * 1024)
    gf, me = _gf(), current_principal()
    try:
        with gf.engine.begin() as conn:
            acting_as(conn, me.username)
            change_own_password(conn, me.user_id, body.old_password, body.new_password,
                                development=gf.config.development)  # fmt: skip
    except AccountError as exc:
        raise Unprocessable(exc.message, field=exc.field) from exc
    return "", 204
