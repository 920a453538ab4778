"""Accounts as an admin sees and changes them (the admin pages' list, an account's scope, its
password, whether it must choose a new one). The audit trail of `app_user` is its trigger
(0008; the actor is named with `audit_log.acting_as`); a change of cells is audited by
`accounts.set_cells`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from services.store.audit_log import like_prefix

_ROW = (
    "SELECT u.id, u.username, u.display_name, u.phone, u.role, u.active, "
    "u.must_change_password, u.jurisdiction_code, u.department_code, "
    "ARRAY(SELECT c.cell_code FROM user_cell c WHERE c.user_id = u.id ORDER BY c.cell_code) "
    "AS cell_codes, (SELECT max(s.created_at) FROM auth_session s WHERE s.user_id = u.id) "
    "AS last_sign_in FROM app_user u"
)


def user_rows(
    conn: Connection, *, q: str | None, role: str | None, within: str | None, limit: int
) -> list[dict[str, Any]]:
    """Accounts whose username or display name holds `q`, of `role`, placed `within` a
    jurisdiction (a worker with a cell there, an operator whose jurisdiction is in it or holds
    it), by username; each with its cells and last sign-in."""
    where, params = [], {"n": limit}
    if q:
        where.append("(u.username ILIKE :q ESCAPE '\\' OR u.display_name ILIKE :q ESCAPE '\\')")
        params["q"] = "%" + like_prefix(q)
    if role:
        where.append("u.role = :role")
        params["role"] = role
    if within:
        where.append(
            "(u.jurisdiction_code LIKE :within ESCAPE '\\' OR :code LIKE u.jurisdiction_code "
            "|| '%' OR EXISTS (SELECT 1 FROM user_cell c WHERE c.user_id = u.id "
            "AND c.cell_code LIKE :within ESCAPE '\\'))"
        )
        params.update(within=like_prefix(within), code=within)
    sql = _ROW + (" WHERE " + " AND ".join(where) if where else "")
    rows = conn.execute(text(sql + " ORDER BY u.username LIMIT :n"), params).mappings()
    return [dict(r) for r in rows]


def user_row(conn: Connection, user_id: int) -> dict[str, Any] | None:
    """One account as `user_rows` shows it, or None."""
    row = conn.execute(text(_ROW + " WHERE u.id = :id"), {"id": user_id}).mappings().first()
    return dict(row) if row else None


def lock_user(conn: Connection, user_id: int) -> Any:
    """(id, username, role, active, password_hash) of the account, locked for this
    transaction; None if there is none."""
    return conn.execute(
        text(
            "SELECT id, username, role, active, password_hash FROM app_user "
            "WHERE id = :id FOR UPDATE"
        ),
        {"id": user_id},
    ).first()


def set_scope(
    conn: Connection, user_id: int, *, role: str, display_name: str, phone: str | None,
    jurisdiction_code: str | None, department_code: str | None,
) -> None:  # fmt: skip
    """Sets an account's role, name, phone and the scope fields its role uses (cells are
    `accounts.set_cells`)."""
    conn.execute(
        text(
            "UPDATE app_user SET role = :role, display_name = :d, phone = :p, "
            "jurisdiction_code = :j, department_code = :dept, updated_at = now() WHERE id = :id"
        ),
        {"role": role, "d": display_name, "p": phone, "j": jurisdiction_code,
         "dept": department_code, "id": user_id},
    )  # fmt: skip


def set_password(conn: Connection, user_id: int, password_hash: str, *, must_change: bool) -> None:
    """Sets an account's password hash, and whether it must be changed at the next sign-in."""
    conn.execute(
        text(
            "UPDATE app_user SET password_hash = :h, must_change_password = :m, "
            "updated_at = now() WHERE id = :id"
        ),
        {"h": password_hash, "m": must_change, "id": user_id},
    )


def move_cell_bindings(conn: Connection, old_code: str, new_code: str) -> int:
    """The grid workers bound to cell `old_code` are bound to `new_code` instead (a cell was
    renumbered); how many."""
    return conn.execute(
        text("UPDATE user_cell SET cell_code = :new WHERE cell_code = :old"),
        {"old": old_code, "new": new_code},
    ).rowcount


def revoke_sessions(conn: Connection, user_id: int) -> int:
    """Revokes every open session of the account; how many there were."""
    return conn.execute(
        text(
            "UPDATE auth_session SET revoked_at = now() WHERE user_id = :id AND revoked_at IS NULL"
        ),
        {"id": user_id},
    ).rowcount


def must_change_password(conn: Connection, user_id: int) -> bool:
    """Whether the account's password is a one-time one it must replace."""
    return bool(
        conn.execute(
            text("SELECT must_change_password FROM app_user WHERE id = :id"), {"id": user_id}
        ).scalar()
    )


def taken_usernames(conn: Connection, usernames: list[str]) -> set[str]:
    """Which of these usernames (compared case-insensitively) accounts already have, lower-cased."""
    rows = conn.execute(
        text("SELECT lower(username) FROM app_user WHERE lower(username) = ANY(:u)"),
        {"u": [u.lower() for u in usernames]},
    )
    return {r[0] for r in rows}


def current_cells(conn: Connection, codes: list[str]) -> set[str]:
    """Which of these cell codes are cells of the current grid version."""
    rows = conn.execute(
        text(
            "SELECT c.code FROM grid_cell c JOIN grid_version v ON v.id = c.version_id "
            "AND v.valid_to IS NULL WHERE c.code = ANY(:codes)"
        ),
        {"codes": list(codes)},
    )
    return {r[0].strip() for r in rows}
