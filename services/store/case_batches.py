"""Set-wise writes and reads of the router: a whole batch of reports per statement.

The counterparts of the one-row functions of services.store.cases for a batch registered in
one transaction: each function is one SQL statement however many reports the batch holds (the
rows bound as one JSON parameter read with `jsonb_to_recordset`, ids as one array). Plain
functions over a Connection; they run inside the caller's transaction and commit nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, text

from services.store.cases import OPEN_SQL


def _json(rows: Any) -> str:
    """Rows as one JSON document (read with `jsonb_to_recordset`): one parameter, encoded by
    orjson (uuids and datetimes natively, as `str` and `isoformat` give them), instead of one
    array per column escaped element by element."""
    return orjson.dumps(rows, default=_plain).decode()


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _uuids(ids: Iterable[uuid.UUID]) -> str:
    """A uuid[] literal (uuids need no quoting)."""
    return "{" + ",".join(str(i) for i in ids) + "}"


# Columns of a new case as `insert_cases` reads them (lat/lng become `geom`); a case the router
# dispatches at once is written with its department and due times.
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
    ("department_code", "text"),
    ("dispatched_at", "timestamptz"),
    ("ack_due", "timestamptz"),
    ("resolve_due", "timestamptz"),
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
        {"c": consumer, "ids": _uuids(set(event_ids))},  # ordered by the statement
    )
    return {r[0] for r in rows}


def reports_and_cases(
    conn: Connection, report_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID | None]:
    """The reports among `report_ids` that exist, each with the id of its case (None before
    the case is registered)."""
    ids = set(report_ids)
    if not ids:
        return {}
    # Each id looked up by key (a LATERAL subquery the planner may not merge into a join):
    # `r.id = ANY(ids)` had a plan, kept by the router's connection from its first batches while
    # `report` was small, that read the whole table for every batch.
    rows = conn.execute(
        text(
            "SELECT r.id, (SELECT c.id FROM case_file c WHERE c.report_id = r.id) "
            "FROM unnest(CAST(:ids AS uuid[])) AS u(id) "
            "CROSS JOIN LATERAL (SELECT r.id FROM report r WHERE r.id = u.id OFFSET 0) r"
        ),
        {"ids": _uuids(ids)},
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
            {"codes": "{" + ",".join(f'"{c}"' for c in ordered) + "}"},
        )


# A box in degrees around a probe holding every point within its radius (metres), so the
# open cases' spatial index narrows the exact geography test: a degree of latitude is at least
# 110,574 m, a degree of longitude at least 111,319 m × cos(latitude) at the box's far edge.
_BOX_DY = "radius * 1.01 / 110574.0"
_BOX_DX = "radius * 1.01 / (111319.0 * cos(radians(least(abs(lat) + radius / 110000.0, 89.0))))"


def duplicate_candidates(
    conn: Connection, probes: Sequence[DuplicateProbe]
) -> dict[int, list[DuplicateCandidate]]:
    """For each probe: the nearest stored open case of its category within its radius and
    window, and every earlier probe (smaller index) of the same category within the radius
    and captured inside the window. Distances
    are the geography distance operator `<->` for both, so they compare. Both searches test
    the box around the probe (cheap) before the exact geography distance (a spheroid
    computation): a batch's reports of one category are otherwise compared pair by pair."""
    if not probes:
        return {}
    rows = conn.execute(
        text(
            "WITH p AS (SELECT i, cat, radius, since, received, "
            "ST_SetSRID(ST_MakePoint(lng, lat), 4326) AS g, "
            "ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography AS pt, "
            f"ST_Expand(ST_SetSRID(ST_MakePoint(lng, lat), 4326), {_BOX_DX}, {_BOX_DY}) AS box "
            "FROM jsonb_to_recordset(CAST(:probes AS jsonb)) AS u(i integer, cat text, "
            "lat float8, lng float8, radius float8, since timestamptz, received timestamptz)) "
            "SELECT p.i, c.id, NULL::integer AS peer, c.d, c.created_at FROM p "
            "CROSS JOIN LATERAL (SELECT k.id, k.created_at, k.geom::geography <-> p.pt AS d "
            f"FROM case_file k WHERE {OPEN_SQL.replace('state', 'k.state')} "
            "AND k.category_code = p.cat AND k.created_at >= p.since AND k.geom && p.box "
            "AND ST_DWithin(k.geom::geography, p.pt, p.radius) "
            "ORDER BY k.geom::geography <-> p.pt, k.created_at, k.id LIMIT 1) c "
            "UNION ALL "
            "SELECT a.i, NULL::uuid, b.i, b.pt <-> a.pt, b.received FROM p a JOIN p b "
            "ON b.i < a.i AND b.cat = a.cat AND b.received >= a.since AND b.g && a.box "
            "AND ST_DWithin(b.pt, a.pt, a.radius)"
        ),
        {
            "probes": _json([
                {"i": p.index, "cat": p.category_code, "lat": p.lat, "lng": p.lng,
                 "radius": float(p.radius_m), "since": p.since, "received": p.received_at}
                for p in probes
            ])
        },
    )  # fmt: skip
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
    selected = [
        "coalesce(duplicate_count, 0)" if name == "duplicate_count" else name for name in names
    ]
    columns = ", ".join(f"{name} {kind}" for name, kind in CASE_COLUMNS)
    conn.execute(
        text(
            f"INSERT INTO case_file ({', '.join(names)}, geom) "
            f"SELECT {', '.join(selected)}, ST_SetSRID(ST_MakePoint(lng, lat), 4326) "
            f"FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS u({columns}, lat float8, "
            "lng float8, n integer) ORDER BY n"
        ),
        {"rows": _json([{**row, "n": n} for n, row in enumerate(rows)])},
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
            "AS u(id, n) WHERE c.id = u.id AND c.id = ANY(CAST(:ids AS uuid[])) "
            "RETURNING c.id, c.duplicate_count"
        ),
        {"ids": _uuids(ids), "n": [counts[i] for i in ids]},
    )
    return {case_id: count for case_id, count in rows}


def insert_events(conn: Connection, topic: str, entries: Sequence[dict[str, Any]]) -> None:
    """Appends case history entries and their outbox rows (`topic`, keyed by case id) in one
    statement, in the order given (ids grow in that order, so the relay publishes a case's
    events in order). Each entry: case_id, actor, at, and envelope (the dict published); the
    entry's event id, type and payload are the envelope's."""
    if not entries:
        return
    conn.execute(
        text(
            "WITH e AS (SELECT n, case_id, actor, at, envelope, "
            "CAST(envelope->>'event_id' AS uuid) AS event_id, envelope->>'type' AS type "
            "FROM jsonb_to_recordset(CAST(:entries AS jsonb)) AS u("
            "n integer, case_id uuid, actor text, at timestamptz, envelope jsonb)), "
            "o AS (INSERT INTO outbox (event_id, topic, key, event_type, envelope) "
            "SELECT event_id, :topic, case_id::text, type, envelope FROM e ORDER BY n) "
            "INSERT INTO case_event (event_id, case_id, type, actor, at, payload) "
            "SELECT event_id, case_id, type, actor, at, envelope->'payload' FROM e ORDER BY n"
        ),
        {"topic": topic, "entries": _json([{**e, "n": n} for n, e in enumerate(entries)])},
    )
