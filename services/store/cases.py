"""Cases and their history in PostgreSQL: `case_file` and `case_event`.

Plain functions over a Connection; they run inside the caller's transaction (a unit of work
from services.dispatch) and commit nothing themselves.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

OPEN_SQL = "state NOT IN ('closed', 'rejected', 'merged')"

# Columns a handler may change with `update_case`.
UPDATABLE = frozenset(
    {
        "state",
        "department_code",
        "route_reason",
        "ruleset_version",
        "registered_at",
        "dispatched_at",
        "acknowledged_at",
        "resolved_at",
        "closed_at",
        "ack_due",
        "resolve_due",
        "ack_overdue",
        "resolve_overdue",
        "extension_count",
        "escalation_level",
        "rework_count",
        "duplicate_count",
        "merged_into",
    }
)


@dataclass(frozen=True)
class CaseRow:
    """One `case_file` row as handlers need it."""

    id: uuid.UUID
    case_no: str
    report_id: uuid.UUID
    state: str
    category_code: str
    priority: str
    around_the_clock: bool
    department_code: str | None
    cell_code: str | None
    community_code: str | None
    street_code: str | None
    district_code: str | None
    created_at: datetime
    registered_at: datetime | None
    dispatched_at: datetime | None
    ack_due: datetime | None
    resolve_due: datetime | None
    rework_count: int
    duplicate_count: int
    merged_into: uuid.UUID | None


_CASE_COLUMNS = (
    "id, case_no, report_id, state, category_code, priority, around_the_clock, department_code, "
    "cell_code, community_code, street_code, district_code, created_at, registered_at, "
    "dispatched_at, ack_due, resolve_due, rework_count, duplicate_count, merged_into"
)


def insert_case(conn: Connection, values: dict[str, Any]) -> None:
    """Inserts a `case_file` row; `lat`/`lng` (if given) become its point geometry."""
    values = dict(values)
    lat, lng = values.pop("lat", None), values.pop("lng", None)
    columns = list(values)
    placeholders = [f":{c}" for c in columns]
    if lat is not None and lng is not None:
        columns.append("geom")
        placeholders.append("ST_SetSRID(ST_MakePoint(:lng, :lat), 4326)")
        values.update(lat=lat, lng=lng)
    conn.execute(
        text(f"INSERT INTO case_file ({', '.join(columns)}) VALUES ({', '.join(placeholders)})"),
        values,
    )


def get_case(conn: Connection, case_id: uuid.UUID, *, for_update: bool = False) -> CaseRow | None:
    """The case, locked against concurrent changes until commit when `for_update`."""
    lock = " FOR UPDATE" if for_update else ""
    row = conn.execute(
        text(f"SELECT {_CASE_COLUMNS} FROM case_file WHERE id = :id{lock}"), {"id": case_id}
    ).mappings().first()  # fmt: skip
    return CaseRow(**row) if row else None


def update_case(conn: Connection, case_id: uuid.UUID, **changes: Any) -> None:
    """Sets the given columns (see UPDATABLE) and `updated_at`."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    sets = ", ".join(f"{c} = :{c}" for c in changes)
    conn.execute(
        text(f"UPDATE case_file SET {sets}, updated_at = now() WHERE id = :case_id"),
        {**changes, "case_id": case_id},
    )


def add_duplicate(conn: Connection, case_id: uuid.UUID) -> int:
    """Counts one more report merged into the case; returns the new count."""
    return conn.execute(
        text(
            "UPDATE case_file SET duplicate_count = duplicate_count + 1, updated_at = now() "
            "WHERE id = :id RETURNING duplicate_count"
        ),
        {"id": case_id},
    ).scalar_one()


def insert_event(
    conn: Connection,
    *,
    event_id: str | uuid.UUID,
    case_id: uuid.UUID,
    type: str,
    actor: str | None,
    at: datetime,
    payload: dict[str, Any],
) -> int:
    """Appends one entry to a case's history; returns its `case_event.id`."""
    return conn.execute(
        text(
            "INSERT INTO case_event (event_id, case_id, type, actor, at, payload) "
            "VALUES (:event_id, :case_id, :type, :actor, :at, CAST(:payload AS jsonb)) "
            "RETURNING id"
        ),
        {
            "event_id": event_id,
            "case_id": case_id,
            "type": type,
            "actor": actor,
            "at": at,
            "payload": json.dumps(payload, ensure_ascii=False),
        },
    ).scalar_one()


_TIMELINE = {
    "CaseRegistered": ("registered", None),
    "CaseDispatched": ("dispatched", "department_code"),
    "CaseMerged": ("merged", "duplicate_of"),
    "CaseRejected": ("rejected", "reason"),
    "CaseAcknowledged": ("acknowledged", "department_code"),
    "CaseReturned": ("returned", "reason"),
    "CaseResolved": ("resolved", "note"),
    "CaseVerified": ("verified", "note"),
    "CaseReworked": ("reworked", "department_code"),
    "CaseClosed": ("closed", "how"),
}


def case_timeline(conn: Connection, report_id: uuid.UUID) -> list[dict[str, Any]]:
    """A report's case history as timeline entries {"at", "event", "note"} (a timeline source
    of services.capture.queries)."""
    rows = conn.execute(
        text(
            "SELECT e.type, e.at, e.payload FROM case_event e JOIN case_file c ON c.id = e.case_id "
            "WHERE c.report_id = :r AND e.type = ANY(:types) ORDER BY e.id"
        ),
        {"r": report_id, "types": list(_TIMELINE)},
    )
    entries = []
    for type_, at, payload in rows:
        event, detail = _TIMELINE[type_]
        note = (payload or {}).get(detail) if detail else None
        entries.append({"at": at, "event": event, "note": str(note) if note else None})
    return entries
