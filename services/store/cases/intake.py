"""What registration reads, set-wise: a whole batch of reports per statement (a list of one for
an operator's registration).

Each function is one SQL statement however many reports it is given (rows bound as one JSON
parameter read with `jsonb_to_recordset`, ids as one array): the events claimed, the reports
and their cases, the categories' registration locks, the duplicate candidates, the catalog's
terms. Plain functions over a Connection inside the caller's transaction; they commit nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from services.store.cases.groups import open_sql
from services.store.jsonrows import json_rows, uuid_array


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
        {"c": consumer, "ids": uuid_array(set(event_ids))},  # ordered by the statement
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
        {"ids": uuid_array(ids)},
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
            f"FROM case_file k WHERE {open_sql('k')} "
            "AND k.category_code = p.cat AND k.created_at >= p.since AND k.geom && p.box "
            "AND ST_DWithin(k.geom::geography, p.pt, p.radius) "
            "ORDER BY k.geom::geography <-> p.pt, k.created_at, k.id LIMIT 1) c "
            "UNION ALL "
            "SELECT a.i, NULL::uuid, b.i, b.pt <-> a.pt, b.received FROM p a JOIN p b "
            "ON b.i < a.i AND b.cat = a.cat AND b.received >= a.since AND b.g && a.box "
            "AND ST_DWithin(b.pt, a.pt, a.radius)"
        ),
        {
            "probes": json_rows([
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


_TERMS = (
    "SELECT code, priority, ack_limit_minutes, resolve_limit_minutes, around_the_clock, "
    "duplicate_radius_m, duplicate_window_minutes FROM category"
)


def category_terms(conn: Connection, code: str | None = None) -> dict[str, dict[str, Any]]:
    """What registration needs from the catalog about each category (or the one `code`),
    deactivated categories included: code → priority, limits, around the clock, duplicate
    radius and window."""
    where, params = (" WHERE code = :c", {"c": code}) if code is not None else ("", {})
    rows = conn.execute(text(_TERMS + where), params).mappings()
    return {row["code"]: {k: v for k, v in row.items() if k != "code"} for row in rows}


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


def lock_report(conn: Connection, report_id: uuid.UUID) -> None:
    """Takes the report's registration lock (an operator registering, rejecting or merging
    it); held until the transaction ends."""
    conn.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('gridflow-report:' || :r))"),
        {"r": str(report_id)},
    )


_FINGERPRINT = text(
    "SELECT (SELECT max(id) FROM ruleset_version), "
    "(SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r.id), '')) "
    " FROM routing_rule r WHERE r.active), "
    "(SELECT md5(coalesce(string_agg(d::text, '|' ORDER BY d.code), '')) FROM department d), "
    "(SELECT md5(coalesce(string_agg(k::text, '|' ORDER BY k.code), '')) FROM category k), "
    "(SELECT md5(coalesce(string_agg(o::text, '|' ORDER BY o.day), '')) "
    " FROM calendar_override o)"
)


def reference_fingerprint(conn: Connection) -> tuple:
    """A fingerprint of what registration reads besides the reports (ruleset version, active
    rules, departments, categories, calendar overrides): a hash of their rows, so any change
    counts, also one made behind the application's back."""
    return tuple(conn.execute(_FINGERPRINT).one())
