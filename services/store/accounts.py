"""Accounts in `app_user` (+ `user_cell`) and their sessions' principals: the statements of
services.auth.users (which validates accounts and builds the `Principal`). A principal row is
(id, username, role, jurisdiction_code, department_code, cells, must_change_password)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, Row, text

from services.store import audit_log as audit
from services.store import direct


def username_taken(conn: Connection, username: str) -> bool:
    """Whether an account has this username (case-insensitive)."""
    return (
        conn.execute(
            text("SELECT 1 FROM app_user WHERE lower(username) = lower(:u)"), {"u": username}
        ).first()
        is not None
    )


def insert_account(conn: Connection, row: dict[str, Any]) -> int:
    """Inserts an account (username, hash, role, display, phone, jurisdiction, department);
    returns its id."""
    return conn.execute(
        text(
            "INSERT INTO app_user (username, password_hash, role, display_name, phone, "
            "jurisdiction_code, department_code) VALUES (:username, :hash, :role, :display, "
            ":phone, :jurisdiction, :department) RETURNING id"
        ),
        row,
    ).scalar_one()


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
    "ARRAY(SELECT c.cell_code FROM user_cell c WHERE c.user_id = u.id) AS cells, "
    "u.must_change_password FROM app_user u WHERE u.id = :id AND u.active"
)
# Sent by `services.store.direct` (psycopg placeholders).
_SESSION_PRINCIPAL = direct.placeholders(_PRINCIPAL, ["id"]) + (
    " AND EXISTS (SELECT 1 FROM auth_session s WHERE s.id = %(sid)s "
    "AND s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > now())"
)


def principal_row(conn: Connection, user_id: int) -> tuple | None:
    """The principal row of an active account, with its current cells; None if gone or
    disabled."""
    return conn.execute(text(_PRINCIPAL), {"id": user_id}).first()


def session_principal_row(engine: Engine, session_id: object, user_id: int) -> tuple | None:
    """The principal row of an active account whose session `session_id` is open (neither
    revoked nor expired), read in one statement run on its own; None otherwise."""
    return direct.fetch_one(engine, _SESSION_PRINCIPAL, {"id": user_id, "sid": session_id})


_SESSIONS_PRINCIPALS = (
    "SELECT s.id, u.id, u.username, u.role, u.jurisdiction_code, u.department_code, "
    "ARRAY(SELECT c.cell_code FROM user_cell c WHERE c.user_id = u.id) AS cells, "
    "u.must_change_password FROM auth_session s JOIN app_user u ON u.id = s.user_id "
    "WHERE s.id = ANY(:ids) AND s.revoked_at IS NULL AND s.expires_at > now() AND u.active"
)


def sessions_principal_rows(engine: Engine, session_ids: list[object]) -> list[tuple]:
    """(session id, *principal row) of each of these sessions still open whose account is
    active, in one statement."""
    with engine.connect() as conn:
        return conn.execute(text(_SESSIONS_PRINCIPALS), {"ids": list(session_ids)}).all()


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


def account_role(conn: Connection, username: str) -> Any:
    """(id, role) of the account named `username` (case-insensitive), or None."""
    return conn.execute(
        text("SELECT id, role FROM app_user WHERE lower(username) = lower(:u)"), {"u": username}
    ).first()


def account_id(conn: Connection, username: str) -> int | None:
    """The id of the account named exactly `username`, or None."""
    return conn.execute(
        text("SELECT id FROM app_user WHERE username = :u"), {"u": username}
    ).scalar()


def update_contact(conn: Connection, user_id: int, display_name: str, phone: str | None) -> None:
    """Sets an account's display name and phone."""
    conn.execute(
        text(
            "UPDATE app_user SET display_name = :d, phone = :p, updated_at = now() WHERE id = :id"
        ),
        {"d": display_name, "p": phone, "id": user_id},
    )


def reset_account(
    conn: Connection, user_id: int, *, password_hash: str, role: str,
    jurisdiction_code: str | None, department_code: str | None,
) -> None:  # fmt: skip
    """Sets an account's password hash, role and scope, and enables it."""
    conn.execute(
        text(
            "UPDATE app_user SET password_hash = :hash, role = :role, active = true, "
            "jurisdiction_code = :j, department_code = :d, updated_at = now() WHERE id = :id"
        ),
        {"hash": password_hash, "role": role, "j": jurisdiction_code, "d": department_code,
         "id": user_id},
    )  # fmt: skip


def open_session(conn: Connection, session_id: object, user_id: int, refresh_jti: object,
                 ttl_s: int) -> None:  # fmt: skip
    """Inserts a session of `user_id` expiring in `ttl_s` seconds."""
    conn.execute(
        text(
            "INSERT INTO auth_session (id, user_id, refresh_jti, expires_at) "
            "VALUES (:id, :user_id, :jti, now() + make_interval(secs => :ttl))"
        ),
        {"id": session_id, "user_id": user_id, "jti": refresh_jti, "ttl": ttl_s},
    )


def rotate_refresh(conn: Connection, session_id: object, old: object, new: object) -> int | None:
    """Replaces an open, unexpired session's refresh token id `old` by `new` when its account
    is active; the session's user id, or None when nothing matched."""
    return conn.execute(
        text(
            "UPDATE auth_session s SET refresh_jti = :new, refreshed_at = now() "
            "FROM app_user u WHERE s.id = :sid AND s.refresh_jti = :old AND s.revoked_at IS NULL "
            "AND s.expires_at > now() AND u.id = s.user_id AND u.active RETURNING s.user_id"
        ),
        {"new": new, "sid": session_id, "old": old},
    ).scalar()


def revoke_session(conn: Connection, session_id: object) -> None:
    """Revokes a session (once: a revoked one keeps its time)."""
    conn.execute(
        text("UPDATE auth_session SET revoked_at = now() WHERE id = :sid AND revoked_at IS NULL"),
        {"sid": session_id},
    )


def add_open311_client(
    conn: Connection,
    name: str,
    key_hash: str,
    datum: str = "wgs84",
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
) -> None:
    """Registers an Open311 client by the hash of its key, with the datum of its coordinates
    and the webhook its reporters' milestones are posted to."""
    conn.execute(
        text(
            "INSERT INTO open311_client (name, key_hash, datum, webhook_url, webhook_secret) "
            "VALUES (:n, :h, :d, :u, :s)"
        ),
        {"n": name, "h": key_hash, "d": datum, "u": webhook_url, "s": webhook_secret},
    )


def open311_client(conn: Connection, key_hash: str) -> Row | None:
    """(id, name, datum) of the active Open311 client whose key has this hash, or None."""
    return conn.execute(
        text(
            "SELECT id, name, datum FROM open311_client WHERE key_hash = :h AND revoked_at IS NULL"
        ),
        {"h": key_hash},
    ).first()


def revoke_open311_client(conn: Connection, name: str) -> bool:
    """Revokes the active Open311 client named `name`; False if there is none."""
    result = conn.execute(
        text("UPDATE open311_client SET revoked_at = now() WHERE name = :n AND revoked_at IS NULL"),
        {"n": name},
    )
    return result.rowcount > 0


def reset_role(
    conn: Connection, user_id: int, *, password_hash: str, role: str, department_code: str | None
) -> None:
    """Sets an account's password hash, role and department, and enables it (its
    jurisdiction stays)."""
    conn.execute(
        text(
            "UPDATE app_user SET password_hash = :hash, role = :role, active = true, "
            "department_code = :dept, updated_at = now() WHERE id = :id"
        ),
        {"hash": password_hash, "role": role, "dept": department_code, "id": user_id},
    )
