"""What an admin does to accounts in the browser, and a user's own password change: each a
function over the caller's transaction (the caller names the actor with `acting_as` and
commits). Scope rules are `users.check_scope`, password rules `passwords.check_allowed` (the
CLI's own)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import Connection

from services.auth.passwords import WeakPassword, check_allowed, hash_password, verify_password
from services.auth.principal import DEPARTMENT_STAFF, OPERATOR
from services.auth.users import AccountError, NewAccount, check_scope, create_user
from services.store import account_admin as store
from services.store.accounts import set_active, set_cells


class NoSuchAccount(LookupError):
    """No account has this id."""


@dataclass(frozen=True)
class AccountEdit:
    """An account's role and scope as an admin sets them (the cells replace the old ones)."""

    role: str
    display_name: str = ""
    phone: str | None = None
    cell_codes: tuple[str, ...] = ()
    jurisdiction_code: str | None = None
    department_code: str | None = None


def one_time_password() -> str:
    """A random password to hand over once (the account must replace it at its next sign-in)."""
    return secrets.token_urlsafe(9)


def check_cells_exist(conn: Connection, cell_codes: tuple[str, ...]) -> None:
    """Raises AccountError (field `cells`) naming a code that is no cell of the current grid."""
    missing = sorted(set(cell_codes) - store.current_cells(conn, list(cell_codes)))
    if missing:
        raise AccountError("cells", f"no current cell {', '.join(missing)}")


def create_account(conn: Connection, account: NewAccount, *, development: bool) -> int:
    """Creates the account with a one-time password (it must choose its own at its next
    sign-in); returns its id. Raises AccountError."""
    account.validate(development=development)
    check_cells_exist(conn, account.cell_codes)
    user_id = create_user(conn, account, development=development)
    store.set_password(conn, user_id, hash_password(account.password), must_change=True)
    return user_id


def edit_account(conn: Connection, user_id: int, edit: AccountEdit) -> None:
    """Gives the account this role and scope. Raises NoSuchAccount or AccountError."""
    if store.lock_user(conn, user_id) is None:
        raise NoSuchAccount(user_id)
    check_scope(edit.role, edit.cell_codes, edit.jurisdiction_code, edit.department_code)
    check_cells_exist(conn, edit.cell_codes)
    store.set_scope(
        conn, user_id, role=edit.role, display_name=edit.display_name, phone=edit.phone,
        jurisdiction_code=edit.jurisdiction_code if edit.role == OPERATOR else None,
        department_code=edit.department_code if edit.role == DEPARTMENT_STAFF else None,
    )  # fmt: skip
    set_cells(conn, user_id, edit.cell_codes)


def set_account_active(conn: Connection, user_id: int, active: bool) -> None:
    """Enables or disables the account (disabling revokes every session of it). Raises
    NoSuchAccount."""
    row = store.lock_user(conn, user_id)
    if row is None or not set_active(conn, row.username, active):
        raise NoSuchAccount(user_id)


def reset_password(conn: Connection, user_id: int) -> str:
    """Gives the account a one-time password (returned, to hand over) and revokes its
    sessions. Raises NoSuchAccount."""
    if store.lock_user(conn, user_id) is None:
        raise NoSuchAccount(user_id)
    password = one_time_password()
    store.set_password(conn, user_id, hash_password(password), must_change=True)
    store.revoke_sessions(conn, user_id)
    return password


def change_own_password(
    conn: Connection, user_id: int, old: str, new: str, *, development: bool
) -> None:
    """The account replaces its password: `old` must be its current one and `new` pass the
    CLI's rules and differ from it. Raises AccountError naming `old_password` or
    `new_password`, NoSuchAccount when the account is gone."""
    row = store.lock_user(conn, user_id)
    if row is None:
        raise NoSuchAccount(user_id)
    if not verify_password(row.password_hash, old):
        raise AccountError("old_password", "the current password is wrong")
    try:
        check_allowed(new, development=development)
    except WeakPassword as exc:
        raise AccountError("new_password", str(exc)) from exc
    if new == old:
        raise AccountError("new_password", "the new password must differ from the current one")
    store.set_password(conn, user_id, hash_password(new), must_change=False)
