"""Set-wise writes and reads of the router: a whole batch of reports per statement.

The counterparts of the one-row functions of services.store.cases for a batch registered in
one transaction: each function is one SQL statement however many reports the batch holds
(arrays bound as parameters and expanded with `unnest`). Plain functions over a Connection;
they run inside the caller's transaction and commit nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from services.store.cases import OPEN_SQL

# Columns of a new case, in the order of `insert_cases`' arrays (lat/lng become `geom`).
CASE_COLUMNS = (
    ("id", "uuid"),
    ("case_no", "text"),
    ("report_id", "uuid"),
    ("state", "text"),
    ("category_code", "text"),
    ("priority", "text"),
    ("around_the_clock", "boolean"),
    ("cell_id", "bigint"),
    ("cell_code", "text"),
    ("grid_version", "integer"),
    ("community_code", "text"),
    ("street_code", "text"),
    ("district_code", "text"),
    ("created_at", "timestamptz"),
    ("registered_at", "timestamptz"),
    ("closed_at", "timestamptz"),
    ("merged_into", "uuid"),
    ("duplicate_count", "integer"),
    ("route_reason", "text"),
    ("ruleset_version", "bigint"),
)


@dataclass(frozen=True)
class DuplicateProbe:
    """One report looking for an open case it duplicates: `radius_m` metres around its point,
    cases captured at or after `since`. `index` identifies it in the answer."""

    index: int
    category_code: str
    lat: float
    lng: float
    radius_m: float
    since: datetime
    received_at: datetime


@dataclass(frozen=True)
class DuplicateCandidate:
    """An open case within a probe's radius: a stored case (`case_id`) or an earlier probe of
    the same batch (`peer`), with its distance and capture time (the tie-breaks)."""

    distance_m: float
    created_at: datetime
    case_id: uuid.UUID | None = None
    peer: int | None = None


def claim_events(conn: Connection, consumer: str, event_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Records that `consumer` applies these events in this transaction; returns those not
    applied before (the others must change nothing). Claims are taken in event-id order, so
    two transactions claiming overlapping batches wait for each other instead of deadlocking."""
    if not event_ids:
        return set()
    rows = conn.execute(
        text(
            "INSERT INTO processed_event (consumer, event_id) "
            "SELECT :c, e FROM unnest(CAST(:ids AS uuid[])) AS e ORDER BY e "
            "ON CONFLICT DO NOTHING RETURNING event_id"
        ),
        {"c": consumer, "ids": sorted(set(event_ids))},
    )
    return {r[0] for r in rows}


def reports_and_cases(
    conn: Connection, report_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID | None]:
    """The reports among `report_ids` that exist, each with the id of its case (None before
    the case is registered)."""
    ids = sorted(set(report_ids))
    if not ids:
        return {}
    rows = conn.execute(
        text(
            "SELECT r.id, c.id FROM report r LEFT JOIN case_file c ON c.report_id = r.id "
            "WHERE r.id = ANY(CAST(:ids AS uuid[]))"
        ),
        {"ids": ids},
    )
    return {report_id: case_id for report_id, case_id in rows}


def lock_categories(conn: Connection, codes: Iterable[str]) -> None:
    """Takes the registration lock of each category (sorted, so concurrent batches take them
    in one order); held until the transaction ends."""
    ordered = sorted(set(codes))
    if ordered:
        conn.execute(
            text(
                "SELECT pg_advisory_xact_lock(hashtext('gridflow-case:' || c)) "
                "FROM unnest(CAST(:codes AS text[])) WITH ORDINALITY AS u(c, n) ORDER BY n"
            ),
            {"codes": ordered},
        )


def duplicate_candidates(
    conn: Connection, probes: Sequence[DuplicateProbe]
) -> dict[int, list[DuplicateCandidate]]:
    """For each probe: the nearest stored open case of its category within its radius and
    window (as `services.store.cases.find_open_duplicate`), and every earlier probe (smaller
    index) of the same category within the radius and captured inside the window. Distances
    are the geography distance operator `<->` for both, so they compare."""
    if not probes:
        return {}
    params = {
        "i": [p.index for p in probes],
        "cat": [p.category_code for p in probes],
        "lat": [p.lat for p in probes],
        "lng": [p.lng for p in probes],
        "radius": [float(p.radius_m) for p in probes],
        "since": [p.since for p in probes],
        "received": [p.received_at for p in probes],
    }
    rows = conn.execute(
        text(
            "WITH p AS (SELECT i, cat, radius, since, received, "
            "ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography AS pt "
            "FROM unnest(CAST(:i AS integer[]), CAST(:cat AS text[]), CAST(:lat AS float8[]), "
            "CAST(:lng AS float8[]), CAST(:radius AS float8[]), CAST(:since AS timestamptz[]), "
            "CAST(:received AS timestamptz[])) AS u(i, cat, lat, lng, radius, since, received)) "
            "SELECT p.i, c.id, NULL::integer AS peer, c.d, c.created_at FROM p "
            "CROSS JOIN LATERAL (SELECT k.id, k.created_at, k.geom::geography <-> p.pt AS d "
            f"FROM case_file k WHERE {OPEN_SQL.replace('state', 'k.state')} "
            "AND k.category_code = p.cat AND k.created_at >= p.since AND k.geom IS NOT NULL "
            "AND ST_DWithin(k.geom::geography, p.pt, p.radius) "
            "ORDER BY k.geom::geography <-> p.pt, k.created_at, k.id LIMIT 1) c "
            "UNION ALL "
            "SELECT a.i, NULL::uuid, b.i, b.pt <-> a.pt, b.received FROM p a JOIN p b "
            "ON b.i < a.i AND b.cat = a.cat AND b.received >= a.since "
            "AND ST_DWithin(b.pt, a.pt, a.radius)"
        ),
        params,
    )
    found: dict[int, list[DuplicateCandidate]] = {}
    for index, case_id, peer, distance, created_at in rows:
        found.setdefault(index, []).append(
            DuplicateCandidate(float(distance), created_at, case_id=case_id, peer=peer)
        )
    return found


def insert_cases(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Inserts new `case_file` rows (keys: CASE_COLUMNS plus `lat`/`lng` for the point, any
    missing key NULL; `duplicate_count` 0 when NULL) in one statement."""
    if not rows:
        return
    names = [name for name, _ in CASE_COLUMNS]
    params = {name: [row.get(name) for row in rows] for name in names}
    params["duplicate_count"] = [row.get("duplicate_count") or 0 for row in rows]
    params["lat"] = [row.get("lat") for row in rows]
    params["lng"] = [row.get("lng") for row in rows]
    arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in CASE_COLUMNS)
    conn.execute(
        text(
            f"INSERT INTO case_file ({', '.join(names)}, geom) "
            f"SELECT {', '.join(names)}, ST_SetSRID(ST_MakePoint(lng, lat), 4326) "
            f"FROM unnest({arrays}, CAST(:lat AS float8[]), CAST(:lng AS float8[])) "
            f"AS u({', '.join(names)}, lat, lng)"
        ),
        params,
    )


def dispatch_cases(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Marks registered cases dispatched in one statement; each row: id, department_code, at
    (the dispatch instant), ack_due, resolve_due, route_reason, ruleset_version."""
    if not rows:
        return
    keys = ("id", "department_code", "at", "ack_due", "resolve_due", "route_reason",
            "ruleset_version")  # fmt: skip
    conn.execute(
        text(
            "UPDATE case_file c SET state = 'dispatched', department_code = u.department_code, "
            "dispatched_at = u.at, ack_due = u.ack_due, resolve_due = u.resolve_due, "
            "route_reason = u.route_reason, ruleset_version = u.ruleset_version, "
            "updated_at = now() "
            "FROM unnest(CAST(:id AS uuid[]), CAST(:department_code AS text[]), "
            "CAST(:at AS timestamptz[]), CAST(:ack_due AS timestamptz[]), "
            "CAST(:resolve_due AS timestamptz[]), CAST(:route_reason AS text[]), "
            "CAST(:ruleset_version AS bigint[])) "
            "AS u(id, department_code, at, ack_due, resolve_due, route_reason, ruleset_version) "
            "WHERE c.id = u.id"
        ),
        {key: [row[key] for row in rows] for key in keys},
    )


def add_duplicates(conn: Connection, counts: dict[uuid.UUID, int]) -> dict[uuid.UUID, int]:
    """Counts more reports merged into stored cases (case id → how many more); returns each
    case's new duplicate count."""
    if not counts:
        return {}
    ids = sorted(counts)
    rows = conn.execute(
        text(
            "UPDATE case_file c SET duplicate_count = c.duplicate_count + u.n, "
            "updated_at = now() FROM unnest(CAST(:ids AS uuid[]), CAST(:n AS integer[])) "
            "AS u(id, n) WHERE c.id = u.id RETURNING c.id, c.duplicate_count"
        ),
        {"ids": ids, "n": [counts[i] for i in ids]},
    )
    return {case_id: count for case_id, count in rows}


def insert_events(conn: Connection, topic: str, entries: Sequence[dict[str, Any]]) -> None:
    """Appends case history entries and their outbox rows (`topic`, keyed by case id) in one
    statement, in the order given (ids grow in that order, so the relay publishes a case's
    events in order). Each entry: event_id, case_id, type, actor, at, payload (a dict) and
    envelope (the dict published; its event_id is the entry's)."""
    if not entries:
        return
    conn.execute(
        text(
            "WITH e AS (SELECT * FROM unnest(CAST(:event_id AS uuid[]), "
            "CAST(:case_id AS uuid[]), CAST(:type AS text[]), CAST(:actor AS text[]), "
            "CAST(:at AS timestamptz[]), CAST(:payload AS text[]), CAST(:envelope AS text[])) "
            "WITH ORDINALITY AS u(event_id, case_id, type, actor, at, payload, envelope, n)), "
            "o AS (INSERT INTO outbox (event_id, topic, key, event_type, envelope) "
            "SELECT event_id, :topic, case_id::text, type, CAST(envelope AS jsonb) FROM e "
            "ORDER BY n) "
            "INSERT INTO case_event (event_id, case_id, type, actor, at, payload) "
            "SELECT event_id, case_id, type, actor, at, CAST(payload AS jsonb) FROM e ORDER BY n"
        ),
        {
            "topic": topic,
            "event_id": [e["event_id"] for e in entries],
            "case_id": [e["case_id"] for e in entries],
            "type": [e["type"] for e in entries],
            "actor": [e["actor"] for e in entries],
            "at": [e["at"] for e in entries],
            "payload": [json.dumps(e["payload"], ensure_ascii=False) for e in entries],
            "envelope": [json.dumps(e["envelope"], ensure_ascii=False) for e in entries],
        },
    )
