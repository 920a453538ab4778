"""Revisit tasks (回访, migration 0019): one per case at most (a case is rated once), opened by
a 不满意 rating and finished by an operator's call-back. Plain functions over a Connection in
the caller's transaction; they commit nothing."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from services.store.scopes import Scope, scope_sql


def open_revisit(conn: Connection, case_id: uuid.UUID, *, at: datetime, due: datetime) -> None:
    """Opens the case's revisit task, due at `due`."""
    conn.execute(
        text("INSERT INTO revisit_task (case_id, opened_at, due_at) VALUES (:c, :at, :due)"),
        {"c": case_id, "at": at, "due": due},
    )


def revisit_status(conn: Connection, case_id: uuid.UUID) -> str | None:
    """The status of the case's revisit task (open, closed, reworked), or None. Read under
    the case's lock (`locked_case`), which every writer of a revisit holds."""
    return conn.execute(
        text("SELECT status FROM revisit_task WHERE case_id = :c"), {"c": case_id}
    ).scalar()


def finish_revisit(
    conn: Connection,
    case_id: uuid.UUID,
    *,
    status: str,
    note: str,
    rating_after: str | None,
    by: str,
    at: datetime,
) -> None:
    """Closes the open revisit task as `status` (closed or reworked)."""
    conn.execute(
        text(
            "UPDATE revisit_task SET status = :s, note = :note, rating_after = :r, "
            "done_by = :by, done_at = :at WHERE case_id = :c AND status = 'open'"
        ),
        {"c": case_id, "s": status, "note": note, "r": rating_after, "by": by, "at": at},
    )


def open_revisits(conn: Connection, scope: Scope, limit: int = 200) -> list[dict[str, Any]]:
    """Open revisit tasks of the cases in `scope`, oldest due first, with the case number,
    category, department and the reporter's rating comment."""
    where, params = scope_sql(scope)
    rows = conn.execute(
        text(
            "SELECT v.case_id, c.case_no, c.category_code, cat.name_zh, cat.name_en, "
            "c.department_code, d.name_zh AS department_zh, v.opened_at, v.due_at, "
            "g.comment AS rating_comment FROM revisit_task v "
            "JOIN case_file c ON c.id = v.case_id JOIN category cat ON cat.code = c.category_code "
            "LEFT JOIN department d ON d.code = c.department_code "
            "LEFT JOIN case_rating g ON g.case_id = c.id "
            f"WHERE v.status = 'open' AND ({where}) ORDER BY v.due_at, v.case_id LIMIT :limit"
        ),
        {**params, "limit": limit},
    ).mappings()
    return [dict(r) for r in rows]
