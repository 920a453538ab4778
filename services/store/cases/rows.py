"""`case_file` rows: the one writer of the table. Loaded by key (one or many, optionally
locked), inserted set-wise (the router's batch and the operator's one case alike), changed
column by column with `save_case`.

Plain functions over a Connection inside the caller's transaction; they commit nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from services.store.cases.groups import state_in
from services.store.jsonrows import json_rows, uuid_array

# When a merged case was merged: the instant of its last CaseMerged (read only while it is
# merged, by the case's history index).
MERGED_AT_SQL = (
    "CASE WHEN c.merged_into IS NOT NULL THEN (SELECT max(e.at) FROM case_event e "
    "WHERE e.case_id = c.id AND e.type = 'CaseMerged') END"
)

# Columns a handler may change with `save_case`.
SETTABLE = frozenset(
    {
        "state", "department_code", "route_reason", "ruleset_version", "registered_at",
        "dispatched_at", "acknowledged_at", "resolved_at", "closed_at", "ack_due",
        "resolve_due", "ack_overdue", "resolve_overdue", "ack_warned_due", "resolve_warned_due",
        "extension_count", "escalation_level", "rework_count", "duplicate_count", "merged_into",
    }
)  # fmt: skip

# Columns of a new case as `insert_cases` reads them (lat/lng become `geom`); a case the router
# dispatches at once is written with its department and due times.
NEW_CASE_COLUMNS = (
    ("id", "uuid"), ("case_no", "text"), ("report_id", "uuid"), ("state", "text"),
    ("category_code", "text"), ("priority", "text"), ("around_the_clock", "boolean"),
    ("cell_id", "bigint"), ("cell_code", "text"), ("grid_version", "integer"),
    ("community_code", "text"), ("street_code", "text"), ("district_code", "text"),
    ("created_at", "timestamptz"), ("registered_at", "timestamptz"),
    ("closed_at", "timestamptz"), ("merged_into", "uuid"), ("duplicate_count", "integer"),
    ("route_reason", "text"), ("ruleset_version", "bigint"), ("department_code", "text"),
    ("dispatched_at", "timestamptz"), ("ack_due", "timestamptz"), ("resolve_due", "timestamptz"),
)  # fmt: skip


@dataclass(frozen=True)
class Case:
    """A case as every handler reads it: its row, whether an extension request is pending
    and whether the reporter rated it."""

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
    duplicate_count: int
    merged_into: uuid.UUID | None
    extension_pending: bool
    rated: bool
    merged_at: datetime | None  # a merged case: when (its last CaseMerged)


_COLUMNS = (
    "c.id, c.case_no, c.report_id, c.state, c.category_code, c.priority, c.around_the_clock, "
    "c.department_code, c.cell_code, c.community_code, c.street_code, c.district_code, "
    "c.created_at, c.registered_at, c.dispatched_at, c.acknowledged_at, c.resolved_at, "
    "c.closed_at, c.ack_due, c.resolve_due, c.ack_overdue, c.resolve_overdue, "
    "c.ack_warned_due, c.resolve_warned_due, c.escalation_level, c.extension_count, "
    "c.rework_count, c.duplicate_count, c.merged_into, "
    "EXISTS (SELECT 1 FROM case_extension x WHERE x.case_id = c.id AND x.status = 'pending') "
    "AS extension_pending, "
    "EXISTS (SELECT 1 FROM case_rating g WHERE g.case_id = c.id) AS rated, "
    f"{MERGED_AT_SQL} AS merged_at"
)


def load_cases(
    conn: Connection, case_ids: Iterable[uuid.UUID], *, for_update: bool = False
) -> dict[uuid.UUID, Case]:
    """The cases of `case_ids` that exist, by id; locked until commit when `for_update` (in
    id order, so two transactions locking overlapping sets wait instead of deadlocking)."""
    ids = sorted(set(case_ids), key=str)
    if not ids:
        return {}
    lock = " ORDER BY c.id::text FOR UPDATE OF c" if for_update else ""
    rows = conn.execute(
        text(
            f"SELECT {_COLUMNS} FROM case_file c "
            f"WHERE c.id = ANY(CAST(:ids AS uuid[])){lock}"
        ),
        {"ids": uuid_array(ids)},
    ).mappings()  # fmt: skip
    return {row["id"]: Case(**row) for row in rows}


def load_case(conn: Connection, case_id: uuid.UUID, *, for_update: bool = False) -> Case | None:
    """One case (locked until commit when `for_update`), or None."""
    lock = " FOR UPDATE OF c" if for_update else ""
    row = conn.execute(
        text(f"SELECT {_COLUMNS} FROM case_file c WHERE c.id = :id{lock}"), {"id": case_id}
    ).mappings().first()  # fmt: skip
    return Case(**row) if row else None


def cases_held_by_departments(conn: Connection) -> list[Case]:
    """Every case a department holds (its time limits run): the SLA sweeper's scan."""
    rows = conn.execute(
        text(
            f"SELECT {_COLUMNS} FROM case_file c WHERE {state_in('with_department')} ORDER BY c.id"
        )  # fmt: skip
    ).mappings()
    return [Case(**r) for r in rows]


def case_id_of(conn: Connection, *, report_id: uuid.UUID | None = None, case_no: str | None = None):
    """The id of the case of a report, or of the case numbered `case_no`; None if none."""
    column, value = ("report_id", report_id) if report_id is not None else ("case_no", case_no)
    return conn.execute(
        text(f"SELECT id FROM case_file WHERE {column} = :v"), {"v": value}
    ).scalar_one_or_none()


def any_case_before(conn: Connection, instant: datetime) -> bool:
    """Whether any case was created before `instant` (the demo's history is loaded once)."""
    return conn.execute(
        text("SELECT EXISTS (SELECT 1 FROM case_file WHERE created_at < :t)"), {"t": instant}
    ).scalar_one()


def count_by_state(conn: Connection, case_ids: Sequence[uuid.UUID]) -> dict[str, int]:
    """How many of these cases are in each state."""
    found = conn.execute(
        text(
            "SELECT state, count(*) FROM case_file WHERE id = ANY(CAST(:ids AS uuid[])) "
            "GROUP BY state ORDER BY state"
        ),
        {"ids": uuid_array(list(case_ids))},
    )
    return {state: count for state, count in found}


def save_case(conn: Connection, case_id: uuid.UUID, **changes: Any) -> None:
    """Sets the given columns (see SETTABLE) and `updated_at`."""
    unknown = set(changes) - SETTABLE
    if unknown:
        raise ValueError(f"not settable: {sorted(unknown)}")
    sets = ", ".join(f"{c} = :{c}" for c in changes)
    conn.execute(
        text(f"UPDATE case_file SET {sets}, updated_at = now() WHERE id = :case_id"),
        {**changes, "case_id": case_id},
    )


def insert_cases(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Inserts new `case_file` rows (keys: NEW_CASE_COLUMNS plus `lat`/`lng` for the point,
    any missing key NULL; `duplicate_count` 0 when NULL) in one statement, in the order
    given."""
    if not rows:
        return
    names = [name for name, _ in NEW_CASE_COLUMNS]
    selected = [
        "coalesce(duplicate_count, 0)" if name == "duplicate_count" else name for name in names
    ]
    columns = ", ".join(f"{name} {kind}" for name, kind in NEW_CASE_COLUMNS)
    conn.execute(
        text(
            f"INSERT INTO case_file ({', '.join(names)}, geom) "
            f"SELECT {', '.join(selected)}, ST_SetSRID(ST_MakePoint(lng, lat), 4326) "
            f"FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS u({columns}, lat float8, "
            "lng float8, n integer) ORDER BY n"
        ),
        {"rows": json_rows([{**row, "n": n} for n, row in enumerate(rows)])},
    )


def add_duplicates(conn: Connection, counts: dict[uuid.UUID, int]) -> dict[uuid.UUID, int]:
    """Counts more reports merged into stored cases (case id → how many more; -1 for a
    report un-merged from it); returns each case's new duplicate count."""
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
        {"ids": uuid_array(ids), "n": [counts[i] for i in ids]},
    )
    return {case_id: count for case_id, count in rows}
