"""Accounts in `app_user` (+ `user_cell`): creating them and loading the Principal behind one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine, text

from services.auth.passwords import check_allowed, hash_password
from services.auth.principal import (
    DEPARTMENT_STAFF,
    GRID_WORKER,
    OPERATOR,
    ROLES,
    Principal,
)
from services.store import audit_log as audit
from services.store import direct

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")
CELL_CODE = re.compile(r"^[0-9]{15}$")
JURISDICTION = re.compile(r"^[0-9]{6}([0-9]{3})?$")
DEPARTMENT = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


class AccountError(ValueError):
    """An account cannot be created as asked; `field` names the input at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class NewAccount:
    """What `create_user` needs; the role decides which scope field is required."""

    username: str
    password: str
    role: str
    display_name: str = ""
    phone: str | None = None
    cell_codes: tuple[str, ...] = field(default_factory=tuple)
    jurisdiction_code: str | None = None
    department_code: str | None = None

    def validate(self, *, development: bool) -> None:
        """Raises AccountError naming the first field that is wrong."""
        from services.auth.passwords import WeakPassword

        if not USERNAME.match(self.username or ""):
            raise AccountError("username", "1-64 letters, digits, '.', '_' or '-'")
        if self.role not in ROLES:
            raise AccountError("role", f"must be one of {', '.join(ROLES)}")
        try:
            check_allowed(self.password, development=development)
        except WeakPassword as exc:
            raise AccountError("password", str(exc)) from exc
        for code in self.cell_codes:
            if not CELL_CODE.match(code):
                raise AccountError("cells", f"{code!r} is not a 15-digit cell code")
        if self.role == GRID_WORKER and not self.cell_codes:
            raise AccountError("cells", "a grid worker is bound to at least one cell")
        if self.role == OPERATOR and not JURISDICTION.match(self.jurisdiction_code or ""):
            raise AccountError("jurisdiction", "an operator needs a 6-digit or 9-digit code")
        if self.role == DEPARTMENT_STAFF and not DEPARTMENT.match(self.department_code or ""):
            raise AccountError("department", "department staff need a department code")


def create_user(conn: Connection, account: NewAccount, *, development: bool) -> int:
    """Inserts the account (and its cells) in the caller's transaction; returns its id.
    Raises AccountError for invalid input or a taken username."""
    account.validate(development=development)
    taken = conn.execute(
        text("SELECT 1 FROM app_user WHERE lower(username) = lower(:u)"), {"u": account.username}
    ).first()
    if taken:
        raise AccountError("username", f"{account.username!r} is taken")
    user_id = conn.execute(
        text(
            "INSERT INTO app_user (username, password_hash, role, display_name, phone, "
            "jurisdiction_code, department_code) VALUES (:username, :hash, :role, :display, "
            ":phone, :jurisdiction, :department) RETURNING id"
        ),
        {
            "username": account.username,
            "hash": hash_password(account.password),
            "role": account.role,
            "display": account.display_name,
            "phone": account.phone,
            "jurisdiction": account.jurisdiction_code if account.role == OPERATOR else None,
            "department": account.department_code if account.role == DEPARTMENT_STAFF else None,
        },
    ).scalar_one()
    set_cells(conn, user_id, account.cell_codes)
    return user_id


def set_cells(conn: Connection, user_id: int, cell_codes: tuple[str, ...] | list[str]) -> None:
    """Binds the account to exactly these cells; a change is audited (cells before/after)."""
    before = [r[0] for r in conn.execute(
        text("SELECT cell_code FROM user_cell WHERE user_id = :id ORDER BY cell_code"),
        {"id": user_id},
    )]  # fmt: skip
    after = sorted(set(cell_codes))
    if before == after:
        return
    conn.execute(text("DELETE FROM user_cell WHERE user_id = :id"), {"id": user_id})
    if after:
        conn.execute(
            text("INSERT INTO user_cell (user_id, cell_code) VALUES (:id, :cell)"),
            [{"id": user_id, "cell": c} for c in after],
        )
    username = conn.execute(
        text("SELECT username FROM app_user WHERE id = :id"), {"id": user_id}
    ).scalar_one()
    audit.record(
        conn, actor=None, action="account.cells", subject=f"account:{username}",
        before={"cells": before}, after={"cells": after},
    )  # fmt: skip


def login_record(conn: Connection, username: str) -> tuple[int, str, bool] | None:
    """(id, password hash, active) of the account named `username` (case-insensitive)."""
    row = conn.execute(
        text("SELECT id, password_hash, active FROM app_user WHERE lower(username) = lower(:u)"),
        {"u": username},
    ).first()
    return (row.id, row.password_hash, row.active) if row else None


_PRINCIPAL = (
    "SELECT u.id, u.username, u.role, u.jurisdiction_code, u.department_code, "
    "ARRAY(SELECT c.cell_code FROM user_cell c WHERE c.user_id = u.id) AS cells "
    "FROM app_user u WHERE u.id = :id AND u.active"
)
# Sent by `services.store.direct` (psycopg placeholders).
_SESSION_PRINCIPAL = direct.placeholders(_PRINCIPAL, ["id"]) + (
    " AND EXISTS (SELECT 1 FROM auth_session s WHERE s.id = %(sid)s "
    "AND s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > now())"
)


def load_principal(conn: Connection, user_id: int) -> Principal | None:
    """The Principal of an active account, with its current cells; None if gone or disabled."""
    return _principal(conn.execute(text(_PRINCIPAL), {"id": user_id}).first())


def session_principal(engine: Engine, session_id: object, user_id: int) -> Principal | None:
    """The Principal of an active account whose session `session_id` is open (neither revoked
    nor expired), read in one statement (run on its own, on every request); None otherwise."""
    return _principal(
        direct.fetch_one(engine, _SESSION_PRINCIPAL, {"id": user_id, "sid": session_id})
    )


_SESSIONS_PRINCIPALS = (
    "SELECT s.id, u.id, u.username, u.role, u.jurisdiction_code, u.department_code, "
    "ARRAY(SELECT c.cell_code FROM user_cell c WHERE c.user_id = u.id) AS cells "
    "FROM auth_session s JOIN app_user u ON u.id = s.user_id "
    "WHERE s.id = ANY(:ids) AND s.revoked_at IS NULL AND s.expires_at > now() AND u.active"
)


def sessions_principals(engine: Engine, session_ids: list[object]) -> dict[object, Principal]:
    """The current Principal behind each of these sessions that is still open and whose
    account is active, by session id (one statement for all of them: the live server checks
    its thousands of sockets this way). A session missing from the answer is revoked, expired
    or its account disabled."""
    if not session_ids:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(text(_SESSIONS_PRINCIPALS), {"ids": list(session_ids)}).all()
    return {row[0]: _principal(tuple(row[1:])) for row in rows}  # type: ignore[misc]


def set_active(conn: Connection, username: str, active: bool) -> bool:
    """Enables or disables the account named `username`; disabling also revokes every open
    session of it (its pages and sockets are cut at their next check). Audited. False if
    there is no such account."""
    row = conn.execute(
        text("SELECT id, active FROM app_user WHERE lower(username) = lower(:u) FOR UPDATE"),
        {"u": username},
    ).first()
    if row is None:
        return False
    if not active:
        conn.execute(
            text(
                "UPDATE auth_session SET revoked_at = now() "
                "WHERE user_id = :id AND revoked_at IS NULL"
            ),
            {"id": row.id},
        )
    if row.active != active:
        conn.execute(
            text("UPDATE app_user SET active = :active WHERE id = :id"),
            {"id": row.id, "active": active},
        )
        audit.record(
            conn, actor=None, action="account.active", subject=f"account:{username}",
            before={"active": row.active}, after={"active": active},
        )  # fmt: skip
    return True


def _principal(row) -> Principal | None:
    """The Principal of a `_PRINCIPAL` row (a SQLAlchemy row or a plain tuple), or None."""
    if row is None:
        return None
    user_id, username, role, jurisdiction_code, department_code, cells = row
    return Principal(
        user_id=user_id,
        username=username,
        role=role,
        cell_codes=frozenset(cells),
        jurisdiction_code=jurisdiction_code,
        department_code=department_code,
    )
