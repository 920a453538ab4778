"""The case as every live message shows it, and the live feed's small reads: events after a
cursor, the newest event id, a scope's bounds and name, the cells of grid workers.

A message about a case event carries `id` (case_event.id: increasing, the client's replay
cursor) and `case` with `seq` (the highest case_event id of that case when it was read), so a
client can apply messages in any order and keep only the newest view of each case.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, Row, text

from services.store import direct
from services.store.cases.groups import open_sql, overdue_sql
from services.store.moderation import TEXT_WITHHELD_SQL
from services.store.scopes import Scope, scope_sql

OPEN_SQL = open_sql()
OVERDUE_SQL = overdue_sql()
# A message goes to every viewer of a room: report text that moderation withholds
# (services.capture.moderation) never rides on it.
CASE_COLUMNS = f"""
    c.id::text AS case_id, c.report_id::text AS report_id, c.case_no, c.state,
    c.category_code, c.department_code, c.cell_code, c.street_code, c.district_code,
    c.ack_due, c.resolve_due,
    coalesce(ST_Y(c.geom), r.lat) AS lat, coalesce(ST_X(c.geom), r.lng) AS lng,
    CASE WHEN {TEXT_WITHHELD_SQL} THEN NULL ELSE left(r.description, 200) END AS summary,
    CASE WHEN {TEXT_WITHHELD_SQL} THEN NULL ELSE r.address END AS address,
    d.name_zh AS department_zh, d.name_en AS department_en,
    cat.name_zh AS category_zh, cat.name_en AS category_en,
    {OVERDUE_SQL} AS overdue,
    (SELECT max(e2.id) FROM case_event e2 WHERE e2.case_id = c.id) AS seq
"""
CASE_FROM = """
    case_file c
    LEFT JOIN report r ON r.id = c.report_id
    LEFT JOIN category cat ON cat.code = c.category_code
    LEFT JOIN department d ON d.code = c.department_code
"""
# Payload fields a ticker line or a countdown may show (others stay in the case timeline).
DETAIL_FIELDS = (
    "department_code",
    "previous_department_code",
    "reason",
    "new_due",
    "requested_due",
    "limit",
    "due",
    "how",
    "passed",
    "duplicate_of",
    "level",
    "note",
    "respond_by",
)


def iso_sql(column: str) -> str:
    """SQL text of a timestamptz as Python's `isoformat()` writes it in UTC (microseconds only
    when there are any; NULL stays NULL)."""
    text_ = f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"
    return f"replace({text_}, '.000000+', '+')"


# The case's view (services.live.queries.case_view) built by PostgreSQL (the live feed's event
# messages): the columns are named as the view's keys, so a row encoded whole is the view.
CASE_JSON_COLUMNS = f"""
    c.id::text AS id, c.report_id::text AS report_id, c.case_no, c.state, c.category_code,
    json_build_object('zh', cat.name_zh, 'en', cat.name_en) AS category, c.department_code,
    json_build_object('zh', d.name_zh, 'en', coalesce(nullif(d.name_en, ''), d.name_zh))
        AS department,
    c.cell_code, c.street_code, c.district_code, left(r.description, 200) AS summary,
    r.address, coalesce(ST_Y(c.geom), r.lat) AS lat, coalesce(ST_X(c.geom), r.lng) AS lng,
    {iso_sql("c.ack_due")} AS ack_due, {iso_sql("c.resolve_due")} AS resolve_due,
    coalesce({OVERDUE_SQL}, FALSE) AS overdue,
    (SELECT max(e2.id) FROM case_event e2 WHERE e2.case_id = c.id) AS seq
"""
EVENT_SELECT = f"""
    SELECT e.id AS seq_id, e.event_id, e.type, e.at, e.actor, e.payload, {CASE_COLUMNS}
    FROM case_event e JOIN {CASE_FROM} ON c.id = e.case_id
"""


def cases_by_id(conn: Connection, case_ids: list[str]) -> list[Row]:
    """The cases with these ids (text) in CASE_COLUMNS."""
    return conn.execute(
        text(f"SELECT {CASE_COLUMNS} FROM {CASE_FROM} WHERE c.id::text = ANY(:ids)"),
        {"ids": case_ids},
    ).all()


def events_since(engine: Engine, scope: Scope, after_id: int, limit: int = 500) -> list[Row]:
    """The events in `scope` with case_event id > `after_id`, oldest first, each with its case
    in CASE_COLUMNS (`seq_id`: the event's id)."""
    where, params = scope_sql(scope)
    with engine.connect() as conn:
        return conn.execute(
            text(EVENT_SELECT + f" WHERE e.id > :after AND {where} ORDER BY e.id LIMIT :limit"),
            {"after": after_id, "limit": limit, **params},
        ).all()


def last_event_id(engine: Engine) -> int:
    """The highest case_event id now (0 when there is none)."""
    row = direct.fetch_one(engine, "SELECT coalesce(max(id), 0) FROM case_event", {})
    return int(row[0]) if row else 0


def serial(conn: Connection) -> None:
    """No parallel workers for the rest of this transaction: the snapshot's reads stop after a
    few thousand rows found by index, where starting workers cost more than they save."""
    conn.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))


# Bounds per (place, current grid versions): a grid changes only when a new version is
# published, so the extent of 100,000 cells is computed once per version, not per connect.
_BOUNDS: dict[tuple, list[float] | None] = {}
_BOUNDS_MAX = 512


def bounds(engine: Engine, code: str | None, cells: list[str] | None) -> list[float] | None:
    """[west, south, east, north] of the current cells in the jurisdiction `code` or among
    `cells` (all cells when both are None); None without a grid."""
    with engine.connect() as conn:
        versions = conn.execute(
            text("SELECT array_agg(id ORDER BY id) FROM grid_version WHERE valid_to IS NULL")
        ).scalar()
        key = (str(engine.url), code, tuple(cells or ()), tuple(versions or ()))
        if key in _BOUNDS:
            return _BOUNDS[key]
        row = conn.execute(
            text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT "
                "ST_Extent(c.geom) AS e FROM grid_cell c JOIN grid_version v ON "
                "v.id = c.version_id AND v.valid_to IS NULL WHERE (CAST(:code AS text) IS NULL "
                "OR c.code LIKE :code || '%') AND (CAST(:cells AS text[]) IS NULL "
                "OR c.code = ANY(:cells))) t"
            ),
            {"code": code, "cells": cells},
        ).one()
    found = None if row[0] is None else [float(v) for v in row]
    if len(_BOUNDS) >= _BOUNDS_MAX:
        _BOUNDS.clear()
    _BOUNDS[key] = found
    return found


def department_name(engine: Engine, code: str) -> dict[str, str] | None:
    """A department's name, zh and en (the Chinese one when it has no English one)."""
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT name_zh, name_en FROM department WHERE code = :c"), {"c": code}
        ).first()
    return {"zh": row.name_zh, "en": row.name_en or row.name_zh} if row else None


def jurisdiction_name(engine: Engine, code: str) -> dict[str, str] | None:
    """A jurisdiction's name (one name, given as zh and en)."""
    with engine.connect() as conn:
        name = conn.execute(
            text("SELECT name FROM jurisdiction WHERE code = :c"), {"c": code}
        ).scalar()
    return {"zh": name, "en": name} if name else None


def workers_cells(engine: Engine, worker_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """The cells each of these grid workers is bound to (workers without cells left out)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT user_id, array_agg(cell_code ORDER BY cell_code) AS cells FROM user_cell "
                "WHERE user_id = ANY(:ids) GROUP BY user_id"
            ),
            {"ids": worker_ids},
        ).all()
    return {int(r.user_id): tuple(r.cells) for r in rows}
