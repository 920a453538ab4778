"""Accounts in `app_user` (+ `user_cell`): creating them and loading the Principal behind one
(their statements, and the account changes that need no validation — `set_cells`,
`set_active`, `login_record` — are services.store.accounts)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine

from services.auth.passwords import check_allowed, hash_password
from services.auth.principal import (
    DEPARTMENT_STAFF,
    GRID_WORKER,
    JURISDICTION_LEVELS,
    PLACE_ROLES,
    ROLES,
    Principal,
)
from services.store import accounts
from services.store.accounts import set_cells

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")
CELL_CODE = re.compile(r"^[0-9]{15}$")
JURISDICTION_LENGTHS = ", ".join(f"{n}-digit" for n in sorted(JURISDICTION_LEVELS))
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
        check_scope(self.role, self.cell_codes, self.jurisdiction_code, self.department_code)


def check_scope(
    role: str, cell_codes: tuple[str, ...], jurisdiction_code: str | None,
    department_code: str | None,
) -> None:  # fmt: skip
    """Raises AccountError naming the first scope field `role` needs that is missing or
    malformed (cells of a grid worker, an operator's jurisdiction, staff's department)."""
    if role not in ROLES:
        raise AccountError("role", f"must be one of {', '.join(ROLES)}")
    for code in cell_codes:
        if not CELL_CODE.match(code):
            raise AccountError("cells", f"{code!r} is not a 15-digit cell code")
    if role == GRID_WORKER and not cell_codes:
        raise AccountError("cells", "a grid worker is bound to at least one cell")
    code = jurisdiction_code or ""
    if role in PLACE_ROLES and not (code.isascii() and code.isdigit()
                                    and len(code) in JURISDICTION_LEVELS):  # fmt: skip
        raise AccountError(
            "jurisdiction", f"an operator or a leader needs a {JURISDICTION_LENGTHS} code"
        )
    if role == DEPARTMENT_STAFF and not DEPARTMENT.match(department_code or ""):
        raise AccountError("department", "department staff need a department code")


def create_user(conn: Connection, account: NewAccount, *, development: bool) -> int:
    """Inserts the account (and its cells) in the caller's transaction; returns its id.
    Raises AccountError for invalid input or a taken username."""
    account.validate(development=development)
    if accounts.username_taken(conn, account.username):
        raise AccountError("username", f"{account.username!r} is taken")
    user_id = accounts.insert_account(
        conn,
        {
            "username": account.username,
            "hash": hash_password(account.password),
            "role": account.role,
            "display": account.display_name,
            "phone": account.phone,
            "jurisdiction": account.jurisdiction_code if account.role in PLACE_ROLES else None,
            "department": account.department_code if account.role == DEPARTMENT_STAFF else None,
        },
    )
    set_cells(conn, user_id, account.cell_codes)
    return user_id


def load_principal(conn: Connection, user_id: int) -> Principal | None:
    """The Principal of an active account, with its current cells; None if gone or disabled."""
    return _principal(accounts.principal_row(conn, user_id))


def session_principal(engine: Engine, session_id: object, user_id: int) -> Principal | None:
    """The Principal of an active account whose session `session_id` is open (neither revoked
    nor expired), read in one statement (run on its own, on every request); None otherwise."""
    return _principal(accounts.session_principal_row(engine, session_id, user_id))


def sessions_principals(engine: Engine, session_ids: list[object]) -> dict[object, Principal]:
    """The current Principal behind each of these sessions that is still open and whose
    account is active, by session id (one statement for all of them: the live server checks
    its thousands of sockets this way). A session missing from the answer is revoked, expired
    or its account disabled."""
    if not session_ids:
        return {}
    rows = accounts.sessions_principal_rows(engine, session_ids)
    return {row[0]: _principal(tuple(row[1:])) for row in rows}  # type: ignore[misc]


def _principal(row) -> Principal | None:
    """The Principal of a principal row (services.store.accounts; a SQLAlchemy row or a plain
    tuple), or None."""
    if row is None:
        return None
    user_id, username, role, jurisdiction_code, department_code, cells, must_change = row
    return Principal(
        user_id=user_id,
        username=username,
        role=role,
        cell_codes=frozenset(cells),
        jurisdiction_code=jurisdiction_code,
        department_code=department_code,
        must_change_password=bool(must_change),
    )
