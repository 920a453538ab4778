"""What handling a case keeps beyond `case_file`: extension requests, ratings, verification
tasks, the SLA warning marks and the calendar overrides (migration 0006).

Plain functions over a Connection inside the caller's transaction; they commit nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text

from services.store.cases import UPDATABLE

SETTABLE = UPDATABLE | {"ack_warned_due", "resolve_warned_due"}


@dataclass(frozen=True)
class HandlingCase:
    """A case as the handling commands and the SLA sweeper read it."""

    id: uuid.UUID
    case_no: str
    report_id: uuid.UUID
    state: str
    category_code: str
    around_the_clock: bool
    department_code: str | None
    cell_code: str | None
    community_code: str | None
    street_code: str | None
    district_code: str | None
    created_at: datetime
    dispatched_at: datetime | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    ack_due: datetime | None
    resolve_due: datetime | None
    ack_overdue: bool
    resolve_overdue: bool
    ack_warned_due: datetime | None
    resolve_warned_due: datetime | None
    escalation_level: int
    extension_count: int
    rework_count: int
    merged_into: uuid.UUID | None
    extension_pending: bool
    rated: bool


_COLUMNS = (
    "c.id, c.case_no, c.report_id, c.state, c.category_code, c.around_the_clock, "
    "c.department_code, c.cell_code, c.community_code, c.street_code, c.district_code, "
    "c.created_at, c.dispatched_at, c.acknowledged_at, c.resolved_at, c.closed_at, c.ack_due, "
    "c.resolve_due, c.ack_overdue, c.resolve_overdue, c.ack_warned_due, c.resolve_warned_due, "
    "c.escalation_level, c.extension_count, c.rework_count, c.merged_into, "
    "EXISTS (SELECT 1 FROM case_extension x WHERE x.case_id = c.id AND x.status = 'pending') "
    "AS extension_pending, "
    "EXISTS (SELECT 1 FROM case_rating g WHERE g.case_id = c.id) AS rated"
)


def load_case(
    conn: Connection, case_id: uuid.UUID, *, for_update: bool = False
) -> HandlingCase | None:
    """The case (locked until commit when `for_update`), or None."""
    lock = " FOR UPDATE OF c" if for_update else ""
    row = conn.execute(
        text(f"SELECT {_COLUMNS} FROM case_file c WHERE c.id = :id{lock}"), {"id": case_id}
    ).mappings().first()  # fmt: skip
    return HandlingCase(**row) if row else None


def case_id_of(conn: Connection, *, report_id: uuid.UUID | None = None, case_no: str | None = None):
    """The id of the case of a report, or of the case numbered `case_no`; None if none."""
    column, value = ("report_id", report_id) if report_id is not None else ("case_no", case_no)
    return conn.execute(
        text(f"SELECT id FROM case_file WHERE {column} = :v"), {"v": value}
    ).scalar_one_or_none()


def set_case(conn: Connection, case_id: uuid.UUID, **changes: Any) -> None:
    """Sets the given `case_file` columns (see SETTABLE) and `updated_at`."""
    unknown = set(changes) - SETTABLE
    if unknown:
        raise ValueError(f"not settable: {sorted(unknown)}")
    sets = ", ".join(f"{c} = :{c}" for c in changes)
    conn.execute(
        text(f"UPDATE case_file SET {sets}, updated_at = now() WHERE id = :case_id"),
        {**changes, "case_id": case_id},
    )


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
    conn: Connection, case: HandlingCase, *, created_at: datetime, due_at: datetime | None
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


# --- reports and calendar -----------------------------------------------------------------


def report_row(conn: Connection, report_id: uuid.UUID) -> dict[str, Any] | None:
    """The columns of a report a case is made from, with its moderation flags."""
    row = conn.execute(
        text(
            "SELECT r.id, r.case_no, r.channel, r.reporter_id, r.category_code, r.lat, r.lng, "
            "r.cell_id, r.cell_code, r.grid_version, r.community_code, r.street_code, "
            "r.district_code, r.received_at, r.hidden, r.redacted, r.photos_hidden, "
            "c.priority, c.around_the_clock FROM report r "
            "JOIN category c ON c.code = r.category_code WHERE r.id = :id"
        ),
        {"id": report_id},
    ).mappings().first()  # fmt: skip
    return dict(row) if row else None


def set_moderation(conn: Connection, report_id: uuid.UUID, **flags: bool) -> None:
    """Sets the report's `hidden`, `redacted` and/or `photos_hidden` flags."""
    allowed = {"hidden", "redacted", "photos_hidden"}
    if set(flags) - allowed:
        raise ValueError(f"not moderation flags: {sorted(set(flags) - allowed)}")
    if flags:
        sets = ", ".join(f"{k} = :{k}" for k in flags)
        conn.execute(text(f"UPDATE report SET {sets} WHERE id = :id"), {**flags, "id": report_id})


def calendar_overrides(conn: Connection) -> dict[date, bool]:
    """Every admin override of the official calendar: date → working (True) or closed."""
    rows = conn.execute(text("SELECT day, working FROM calendar_override"))
    return {day: working for day, working in rows}


def cases_with_department(conn: Connection) -> list[HandlingCase]:
    """Every case a department holds (dispatched or acknowledged): the SLA sweeper's scan."""
    rows = conn.execute(
        text(
            f"SELECT {_COLUMNS} FROM case_file c "
            "WHERE c.state IN ('dispatched', 'acknowledged') ORDER BY c.id"
        )
    ).mappings()
    return [HandlingCase(**r) for r in rows]
