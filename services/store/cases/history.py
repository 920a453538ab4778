"""A case's history (`case_event`) and the outbox rows of its events, written together.

`record_events` is the one way case events are stored: a handler's few events and a router
batch's thousands alike, in one statement, which also keeps the cases' KPI facts. Plain
functions over a Connection inside the caller's transaction; they commit nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, text

from services.store import direct
from services.store.cases.facts import added_to_facts
from services.store.jsonrows import json_rows

# The events of a statement (`e`), their outbox rows (`o`), their cases' facts (`k`), then the
# history rows themselves. Planned at each execution (`direct.execute_planned`): the facts'
# update reaches `case_fact` by key once the table is more than a few pages, which a plan
# kept from while it was small would not.
_RECORD = direct.placeholders(
    "WITH e AS (SELECT n, case_id, actor, at, envelope, trail, "
    "CAST(envelope->>'event_id' AS uuid) AS event_id, envelope->>'type' AS type "
    "FROM jsonb_to_recordset(CAST(:entries AS jsonb)) AS u("
    "n integer, case_id uuid, actor text, at timestamptz, envelope jsonb, trail jsonb)), "
    "o AS (INSERT INTO outbox (event_id, topic, key, event_type, envelope) "
    "SELECT event_id, :topic, case_id::text, type, envelope FROM e ORDER BY n), "
    f"k AS ({added_to_facts('e')}) "
    "INSERT INTO case_event (event_id, case_id, type, actor, at, payload, trail) "
    "SELECT event_id, case_id, type, actor, at, envelope->'payload', trail FROM e ORDER BY n",
    ["entries", "topic"],
)


def record_events(conn: Connection, topic: str, entries: Sequence[dict[str, Any]]) -> None:
    """Appends case history entries and their outbox rows (`topic`, keyed by case id) in one
    statement, in the order given (ids grow in that order, so the relay publishes a case's
    events in order), and adds the events to their cases' KPI facts (`case_fact`, see
    services.store.cases.facts) in the same statement. Each entry: case_id, actor, at, and
    envelope (the dict published), and optionally `trail`: what the audit trail shows of the
    case after this event when its row has gone further (merged into the row's facts by the
    trail's trigger); the entry's event id, type and payload are the envelope's."""
    if not entries:
        return
    direct.execute_planned(
        conn,
        _RECORD,
        {"topic": topic, "entries": json_rows([{**e, "n": n} for n, e in enumerate(entries)])},
    )


def history(conn: Connection, case_id: uuid.UUID) -> list[dict[str, Any]]:
    """The case's events, oldest first: id, type, actor, at, payload."""
    rows = conn.execute(
        text("SELECT id, type, actor, at, payload FROM case_event WHERE case_id = :id ORDER BY id"),
        {"id": case_id},
    ).mappings()
    return [dict(r) for r in rows]


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
    of services.store.report_rows)."""
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


def latest_resolutions(
    conn: Connection, case_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """The department's last resolution (处置) of each of these cases that has one: its time
    and note."""
    if not case_ids:
        return {}
    rows = conn.execute(
        text(
            "SELECT DISTINCT ON (case_id) case_id, at, payload->>'note' AS note FROM case_event "
            "WHERE case_id = ANY(:ids) AND type = 'CaseResolved' ORDER BY case_id, id DESC"
        ),
        {"ids": case_ids},
    )
    return {case_id: {"at": at, "note": note or ""} for case_id, at, note in rows}


# The events a reporter may see of their case, and nothing else of it (no actor, no notes).
PUBLIC_EVENTS = (
    "CaseRegistered", "CaseDispatched", "CaseAcknowledged", "CaseReturned", "CaseResolved",
    "CaseReworked", "CaseClosed", "CaseRejected", "CaseMerged", "CaseRated",
)  # fmt: skip


def public_events(conn: Connection, case_id: uuid.UUID) -> list[dict[str, Any]]:
    """The case's public milestones, oldest first: type, at, the department's names (when the
    event names one), the due time it set, and the rating (CaseRated)."""
    rows = conn.execute(
        text(
            "SELECT e.id, e.event_id, e.type, e.at, d.name_zh AS agency, d.name_en AS agency_en, "
            "CAST(e.payload->>'resolve_due' AS timestamptz) AS resolve_due, "
            "e.payload->>'rating' AS rating FROM case_event e "
            "LEFT JOIN department d ON d.code = e.payload->>'department_code' "
            "WHERE e.case_id = :c AND e.type = ANY(:types) ORDER BY e.id"
        ),
        {"c": case_id, "types": list(PUBLIC_EVENTS)},
    ).mappings()
    return [dict(r) for r in rows]
