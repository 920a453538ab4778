"""What handling a case keeps beside its `case_file` row: extension requests, ratings,
verification tasks, and the report's moderation flags.

Plain functions over a Connection inside the caller's transaction; they commit nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from services.store.cases.rows import Case

# --- extensions ---------------------------------------------------------------------------


def pending_extension(conn: Connection, case_id: uuid.UUID) -> dict[str, Any] | None:
    """The pending extension request of a case, or None."""
    row = conn.execute(
        text("SELECT * FROM case_extension WHERE case_id = :c AND status = 'pending'"),
        {"c": case_id},
    ).mappings().first()  # fmt: skip
    return dict(row) if row else None


def extensions_of(conn: Connection, case_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict]:
    """The newest extension request of each case that has one."""
    rows = conn.execute(
        text(
            "SELECT DISTINCT ON (case_id) * FROM case_extension WHERE case_id = ANY(:ids) "
            "ORDER BY case_id, id DESC"
        ),
        {"ids": case_ids},
    ).mappings()
    return {r["case_id"]: dict(r) for r in rows}


def insert_extension(conn: Connection, **values: Any) -> int:
    """Stores a pending extension request; returns its id."""
    return conn.execute(
        text(
            "INSERT INTO case_extension (case_id, department_code, requested_by, requested_at, "
            "requested_due, previous_due, reason) VALUES (:case_id, :department_code, "
            ":requested_by, :requested_at, :requested_due, :previous_due, :reason) RETURNING id"
        ),
        values,
    ).scalar_one()


def close_extension(conn: Connection, extension_id: int, **decision: Any) -> None:
    """Records the decision on a request: status approved/rejected/lapsed, decided_by,
    decided_at, decision_reason, new_due."""
    conn.execute(
        text(
            "UPDATE case_extension SET status = :status, decided_by = :decided_by, "
            "decided_at = :decided_at, decision_reason = :decision_reason, new_due = :new_due "
            "WHERE id = :id"
        ),
        {"decision_reason": None, "new_due": None, "decided_by": None, **decision,
         "id": extension_id},
    )  # fmt: skip


# --- ratings ------------------------------------------------------------------------------


def insert_rating(
    conn: Connection, case_id: uuid.UUID, *, rating: str, comment: str, by: str, at: datetime
) -> None:
    """Stores the reporter's rating of a case (one per case)."""
    conn.execute(
        text(
            "INSERT INTO case_rating (case_id, rating, comment, rated_by, rated_at) "
            "VALUES (:c, :rating, :comment, :by, :at)"
        ),
        {"c": case_id, "rating": rating, "comment": comment, "by": by, "at": at},
    )


# --- verification tasks ------------------------------------------------------------------


def open_verification(
    conn: Connection, case: Case, *, created_at: datetime, due_at: datetime | None
) -> int:
    """Opens the verification task of a resolved case in its cell; returns its id."""
    return conn.execute(
        text(
            "INSERT INTO verification_task (report_id, case_ref, case_id, cell_code, created_at, "
            "due_at) VALUES (:r, :ref, :c, :cell, :at, :due) RETURNING id"
        ),
        {"r": case.report_id, "ref": case.case_no, "c": case.id, "cell": case.cell_code or "",
         "at": created_at, "due": due_at},
    ).scalar_one()  # fmt: skip


def get_task(conn: Connection, task_id: int, *, for_update: bool = False) -> dict | None:
    """A verification task with its case's place, or None."""
    lock = " FOR UPDATE OF t" if for_update else ""
    row = conn.execute(
        text(
            "SELECT t.*, c.state AS case_state, c.cell_code AS case_cell_code FROM "
            f"verification_task t LEFT JOIN case_file c ON c.id = t.case_id WHERE t.id = :id{lock}"
        ),
        {"id": task_id},
    ).mappings().first()  # fmt: skip
    return dict(row) if row else None


def open_task_of(conn: Connection, case_id: uuid.UUID) -> int | None:
    """The id of the case's open verification task, or None."""
    return conn.execute(
        text(
            "SELECT id FROM verification_task WHERE case_id = :c AND status = 'open' "
            "ORDER BY id DESC LIMIT 1"
        ),
        {"c": case_id},
    ).scalar_one_or_none()


def finish_task(
    conn: Connection, task_id: int, *, passed: bool, note: str, by: int, at: datetime
) -> None:
    """Marks a verification task answered."""
    conn.execute(
        text(
            "UPDATE verification_task SET status = 'done', passed = :p, note = :n, "
            "answered_by = :by, done_at = :at WHERE id = :id"
        ),
        {"p": passed, "n": note, "by": by, "at": at, "id": task_id},
    )


# --- reports -----------------------------------------------------------------


def set_moderation(conn: Connection, report_id: uuid.UUID, **flags: bool) -> None:
    """Sets the report's `hidden`, `redacted` and/or `photos_hidden` flags."""
    allowed = {"hidden", "redacted", "photos_hidden"}
    if set(flags) - allowed:
        raise ValueError(f"not moderation flags: {sorted(set(flags) - allowed)}")
    if flags:
        sets = ", ".join(f"{k} = :{k}" for k in flags)
        conn.execute(text(f"UPDATE report SET {sets} WHERE id = :id"), {**flags, "id": report_id})
