"""The accounts admin API (`/api/v1/admin/users`): list and search, create, edit role and
scope, disable and enable, reset a password, import a sheet. Admins only; every change is in
the audit trail under the admin's name. A disabled account's sessions are revoked, and its live
sockets in this process are cut at once (other processes cut theirs at their next check)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, current_app, jsonify, request

from services.api.account_schemas import (
    AccountEditIn,
    AccountImportMultipart,
    AccountImportOut,
    AccountIn,
    AccountList,
    AccountOut,
    AccountQuery,
    OneTimePassword,
)
from services.api.openapi import operation
from services.auth import bulk, current_principal, requires
from services.auth.administration import (
    AccountEdit,
    NoSuchAccount,
    create_account,
    edit_account,
    reset_password,
    set_account_active,
)
from services.auth.principal import ADMIN, ROLES
from services.auth.users import AccountError, NewAccount
from services.http.errors import InvalidInput, NotFound, Unprocessable
from services.http.validation import json_body, query_args
from services.store import account_admin as store
from services.store.audit_log import acting_as

bp = Blueprint("accounts", __name__, url_prefix="/api/v1/admin/users")
TAGS = ["admin"]
T = TypeVar("T")


def _gf():
    return current_app.extensions["gridflow"]


def _write(change: Callable[..., T]) -> T:
    """Runs `change(conn)` in one transaction under the admin's name; maps the refusals."""
    gf = _gf()
    try:
        with gf.engine.begin() as conn:
            acting_as(conn, current_principal().username)
            return change(conn)
    except AccountError as exc:
        raise Unprocessable(exc.message, field=exc.field) from exc
    except NoSuchAccount as exc:
        raise NotFound(f"no account {exc.args[0]}", field="user_id") from exc


def _cut_sockets(user_id: int) -> None:
    live = current_app.extensions.get("gridflow.live")
    if live is not None:
        live.clients.check_account_now(user_id)


def _account(user_id: int):
    with _gf().engine.connect() as conn:
        row = store.user_row(conn, user_id)
    if row is None:
        raise NotFound(f"no account {user_id}", field="user_id")
    return jsonify(AccountOut(**row).model_dump(mode="json"))


@bp.get("")
@operation("Accounts by username; search by name, role and place (with last sign-in)",
           tags=TAGS, query=AccountQuery, responses={200: AccountList})  # fmt: skip
@requires(ADMIN)
def users():
    query = query_args(AccountQuery)
    with _gf().engine.connect() as conn:
        rows = store.user_rows(conn, q=query.q, role=query.role, within=query.within,
                               limit=query.limit)  # fmt: skip
    out = AccountList(roles=list(ROLES), items=[AccountOut(**r) for r in rows])
    return jsonify(out.model_dump(mode="json"))


@bp.post("")
@operation("Create an account; its password is one-time (replaced at its first sign-in)",
           tags=TAGS, body=AccountIn, responses={201: AccountOut}, errors=(400, 422))  # fmt: skip
@requires(ADMIN)
def create():
    body = json_body(AccountIn)
    account = NewAccount(
        body.username, body.password, body.role, body.display_name, body.phone,
        tuple(body.cell_codes), body.jurisdiction_code, body.department_code,
    )  # fmt: skip
    development = _gf().config.development
    user_id = _write(lambda conn: create_account(conn, account, development=development))
    resp = _account(user_id)
    return resp, 201


@bp.get("/<int:user_id>")
@operation("One account", tags=TAGS, responses={200: AccountOut}, errors=(404,))
@requires(ADMIN)
def user(user_id: int):
    return _account(user_id)


@bp.put("/<int:user_id>")
@operation("Set an account's role and scope (cells, jurisdiction, department); its open "
           "pages and sockets follow at once", tags=TAGS, body=AccountEditIn,
           responses={200: AccountOut}, errors=(400, 404, 422))  # fmt: skip
@requires(ADMIN)
def edit(user_id: int):
    body = json_body(AccountEditIn)
    change = AccountEdit(
        body.role, body.display_name, body.phone, tuple(body.cell_codes),
        body.jurisdiction_code, body.department_code,
    )  # fmt: skip
    _write(lambda conn: edit_account(conn, user_id, change))
    _cut_sockets(user_id)
    return _account(user_id)


def _activate(user_id: int, active: bool):
    _write(lambda conn: set_account_active(conn, user_id, active))
    if not active:
        _cut_sockets(user_id)
    return _account(user_id)


@bp.post("/<int:user_id>/disable")
@operation("Disable an account: its sessions are revoked, its pages and sockets cut",
           tags=TAGS, responses={200: AccountOut}, errors=(404,))  # fmt: skip
@requires(ADMIN)
def disable(user_id: int):
    if user_id == current_principal().user_id:
        raise Unprocessable("an admin cannot disable their own account", field="user_id")
    return _activate(user_id, False)


@bp.post("/<int:user_id>/enable")
@operation("Enable a disabled account (it signs in anew)", tags=TAGS,
           responses={200: AccountOut}, errors=(404,))  # fmt: skip
@requires(ADMIN)
def enable(user_id: int):
    return _activate(user_id, True)


@bp.post("/<int:user_id>/password")
@operation("Reset an account's password: a one-time password, shown once, that it must "
           "replace at its next sign-in; its sessions are revoked", tags=TAGS,
           responses={200: OneTimePassword}, errors=(404,))  # fmt: skip
@requires(ADMIN)
def reset(user_id: int):
    password = _write(lambda conn: reset_password(conn, user_id))
    _cut_sockets(user_id)
    with _gf().engine.connect() as conn:
        username = store.user_row(conn, user_id)["username"]
    return jsonify(OneTimePassword(username=username, password=password).model_dump())


@bp.post("/import")
@operation(
    "Check, or with `commit=true` import, accounts from a CSV or XLSX file: the answer lists "
    "each row's fault; nothing is written unless every row is clean (a commit refused: 422)",
    tags=TAGS, body={"multipart/form-data": AccountImportMultipart},
    responses={200: AccountImportOut}, errors=(400, 422),
)  # fmt: skip
@requires(ADMIN)
def import_sheet():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("file: a .csv or .xlsx file is required", field="file")
    commit = request.form.get("commit", "false").lower() == "true"
    try:
        rows = bulk.read_sheet(upload.filename, upload.read())
    except bulk.SheetError as exc:
        raise Unprocessable(str(exc), field="file") from exc
    development = _gf().config.development

    def run(conn):
        errors = bulk.check_rows(conn, rows, development=development)
        if errors or not commit:
            return errors, {}
        return errors, bulk.import_rows(conn, rows, development=development)

    errors, created = _write(run)
    out = AccountImportOut(
        rows=len(rows), errors=[e.__dict__ for e in errors], committed=bool(created),
        created=[OneTimePassword(username=u, password=p) for u, p in created.items()],
    )  # fmt: skip
    return jsonify(out.model_dump()), 422 if errors and commit else 200
