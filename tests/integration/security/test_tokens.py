"""Tokens a caller must not get past: a tampered signature or payload, `alg: none`, another
algorithm, an expired, revoked or refresh token used as access, a reused refresh token — on
every audience's endpoints and on the Socket.IO feed. And no process starts outside
development with a default, empty or short secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import time

import jwt
import pytest

from services.auth.tokens import _key
from services.config import DEV_SECRET
from tests.integration.services.accounts import bearer, login, make_user
from tests.processes import GRIDFLOW, ROOT, config_env

ENDPOINTS = (
    "/api/v1/auth/me",
    "/api/v1/me/reports",
    "/api/v1/operator/cases",
    "/api/v1/department/cases",
    "/api/v1/admin/rules",
    "/api/v1/audit",
    "/api/v1/admin/departments",
)


def _b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signed(claims: dict, key: bytes | str, alg: str = "HS256") -> str:
    """A JWT signed by hand (PyJWT would only warn about the weak keys tried here)."""
    digest = {"HS256": hashlib.sha256, "HS512": hashlib.sha512}[alg]
    key = key.encode() if isinstance(key, str) else key
    signing_input = f"{_b64({'alg': alg, 'typ': 'JWT'})}.{_b64(claims)}"
    signature = hmac.new(key, signing_input.encode(), digest).digest()
    return f"{signing_input}.{_b64(signature)}"


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def bad_tokens(config, tokens: dict, other_user_id: int) -> dict[str, str]:
    """Every forgery of a valid pair of one account (an admin's) worth trying."""
    access = tokens["access_token"]
    header, payload, signature = access.split(".")
    claims = _claims(access)
    now = int(time.time())
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    return {
        "tampered signature": f"{header}.{payload}.{flipped}",
        "tampered payload": f"{header}.{_b64(dict(claims, sub=str(other_user_id)))}.{signature}",
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "alg None, signature kept": f"{_b64({'alg': 'None', 'typ': 'JWT'})}.{payload}.{signature}",
        "HS512 with the real key": _signed(claims, _key(config), "HS512"),
        "signed with the secret itself": _signed(claims, config.secret_key),
        "signed with the development secret": _signed(claims, DEV_SECRET),
        "expired": jwt.encode(
            dict(claims, iat=now - 7200, exp=now - 60), _key(config), algorithm="HS256"
        ),
        "no expiry": jwt.encode(
            {k: v for k, v in claims.items() if k != "exp"}, _key(config), algorithm="HS256"
        ),
        "another issuer": jwt.encode(dict(claims, iss="evil"), _key(config), algorithm="HS256"),
        "refresh token as access": tokens["refresh_token"],
        "empty": "",
        "garbage": "not-a-token",
    }


@pytest.fixture()
def admin_pair(api, engine):
    _, username = make_user(engine, "admin")
    other_id, _ = make_user(engine, "admin")
    return login(api, username), other_id


def test_forged_and_expired_tokens_get_401_on_every_audience(api, config, admin_pair):
    tokens, other_id = admin_pair
    for path in ENDPOINTS:  # 200, or 403 where an admin has no business (a worker's list)
        assert api.get(path, headers=bearer(tokens["access_token"])).status_code in (200, 403)
    for name, token in bad_tokens(config, tokens, other_id).items():
        for path in ENDPOINTS:
            resp = api.get(path, headers=bearer(token))
            assert resp.status_code == 401, (name, path, resp.status_code)
            assert resp.get_json()["error"]["code"] == "unauthorized"


def test_forged_refresh_tokens_are_refused_and_do_not_rotate_the_session(api, config, admin_pair):
    tokens, other_id = admin_pair
    refresh = tokens["refresh_token"]
    header, payload, signature = refresh.split(".")
    forged = {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "tampered signature": f"{header}.{payload}.{signature[::-1]}",
        "access token as refresh": tokens["access_token"],
        "signed with the development secret": _signed(_claims(refresh), DEV_SECRET),
    }
    for name, token in forged.items():
        resp = api.post("/api/v1/auth/refresh", json={"refresh_token": token})
        assert resp.status_code == 401, name
    # None of them touched the session: the genuine refresh token still works, once.
    assert api.post("/api/v1/auth/refresh", json={"refresh_token": refresh}).status_code == 200


def test_revoked_and_reused_tokens_are_refused(api, engine):
    _, username = make_user(engine, "operator", jurisdiction="330211")
    first = login(api, username)
    rotated = api.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200
    second = rotated.get_json()
    # The old access token stays valid until it expires; the old refresh token is spent.
    reuse = api.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    # Reuse means theft: the whole session is revoked, the rotated pair included.
    for token in (first["access_token"], second["access_token"]):
        assert api.get("/api/v1/operator/cases", headers=bearer(token)).status_code == 401
    again = api.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert again.status_code == 401

    third = login(api, username)
    assert api.post("/api/v1/auth/logout", headers=bearer(third["access_token"])).status_code == 204
    assert api.get("/api/v1/auth/me", headers=bearer(third["access_token"])).status_code == 401
    resp = api.post("/api/v1/auth/refresh", json={"refresh_token": third["refresh_token"]})
    assert resp.status_code == 401


def test_the_socket_feed_refuses_the_same_tokens(security_app, api, config, admin_pair):
    tokens, other_id = admin_pair
    socketio = security_app.extensions["gridflow.live"].socketio
    good = socketio.test_client(security_app, auth={"token": tokens["access_token"]})
    assert good.is_connected()
    good.disconnect()
    for name, token in bad_tokens(config, tokens, other_id).items():
        client = socketio.test_client(security_app, auth={"token": token})
        assert not client.is_connected(), name
    api.post("/api/v1/auth/logout", headers=bearer(tokens["access_token"]))
    revoked = socketio.test_client(security_app, auth={"token": tokens["access_token"]})
    assert not revoked.is_connected()


@pytest.mark.parametrize("secret", ["", DEV_SECRET])
def test_the_server_does_not_start_in_production_with_a_default_or_empty_secret(config, secret):
    environ = config_env(config, GRIDFLOW_ENV="production", GRIDFLOW_SECRET_KEY=secret)
    done = subprocess.run(
        [GRIDFLOW, "serve", "--port", "1"], env=environ, cwd=ROOT, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "GRIDFLOW_SECRET_KEY" in done.stderr
    assert "serving on" not in done.stdout


@pytest.mark.parametrize(
    ("env", "secret"),
    [("production", "   "), ("production", "short-secret"), ("test", ""), ("test", DEV_SECRET)],
)
def test_no_setting_outside_development_accepts_a_weak_secret(env, secret):
    from services.config import Config, ConfigError

    with pytest.raises(ConfigError, match="GRIDFLOW_SECRET_KEY"):
        Config.from_env({"GRIDFLOW_ENV": env, "GRIDFLOW_SECRET_KEY": secret})


def test_development_mode_may_use_the_development_secret():
    from services.config import Config

    assert Config.from_env({"GRIDFLOW_ENV": "development"}).secret_key == DEV_SECRET
