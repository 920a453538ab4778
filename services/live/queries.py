"""What the live feed reads from the database: case events with their case as it is now, the
events a client missed, open cases in its scope and the cells of a worker.

A message about a case event carries `id` (case_event.id: increasing, the client's replay
cursor) and `case` with `seq` (the highest case_event id of that case when it was read), so a
client can apply messages in any order and keep only the newest view of each case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, text

from services.auth.principal import ADMIN, DEPARTMENT_STAFF, GRID_WORKER, OPERATOR, Principal
from services.live.rooms import Place, rooms_for_place
from services.store import direct
from services.store.cases.groups import open_sql, overdue_sql
from services.store.moderation import TEXT_WITHHELD_SQL

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
)


def scope_sql(principal: Principal, alias: str = "c") -> tuple[str, dict[str, Any]]:
    """A SQL condition over a case_file alias limiting rows to what `principal` may see:
    its place for operators and workers, its department for department staff."""
    if principal.role == ADMIN:
        return "TRUE", {}
    if principal.role == OPERATOR and principal.jurisdiction_code:
        column = "district_code" if len(principal.jurisdiction_code) == 6 else "street_code"
        return f"{alias}.{column} = :scope_code", {"scope_code": principal.jurisdiction_code}
    if principal.role == DEPARTMENT_STAFF and principal.department_code:
        return f"{alias}.department_code = :scope_dept", {"scope_dept": principal.department_code}
    if principal.role == GRID_WORKER and principal.cell_codes:
        return f"{alias}.cell_code = ANY(:scope_cells)", {
            "scope_cells": sorted(principal.cell_codes)
        }
    return "FALSE", {}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def case_view(row: Any) -> dict[str, Any]:
    """The JSON a page gets for one case (user text is plain data; pages render it inert)."""
    return {
        "id": row.case_id,
        "report_id": row.report_id,
        "case_no": row.case_no,
        "state": row.state,
        "category_code": row.category_code,
        "category": {"zh": row.category_zh, "en": row.category_en},
        "department_code": row.department_code,
        "department": {"zh": row.department_zh, "en": row.department_en or row.department_zh},
        "cell_code": row.cell_code,
        "street_code": row.street_code,
        "district_code": row.district_code,
        "summary": row.summary,
        "address": row.address,
        "lat": row.lat,
        "lng": row.lng,
        "ack_due": _iso(row.ack_due),
        "resolve_due": _iso(row.resolve_due),
        "overdue": bool(row.overdue),
        "seq": row.seq,
    }


def _event_message(row: Any) -> dict[str, Any]:
    payload = row.payload or {}
    return {
        "id": row.seq_id,
        "event_id": str(row.event_id),
        "type": row.type,
        "at": _iso(row.at),
        "actor": row.actor,
        "detail": {k: payload[k] for k in DETAIL_FIELDS if k in payload},
        "case": case_view(row),
    }


EVENT_SELECT = f"""
    SELECT e.id AS seq_id, e.event_id, e.type, e.at, e.actor, e.payload, {CASE_COLUMNS}
    FROM case_event e JOIN {CASE_FROM} ON c.id = e.case_id
"""


def events_since(
    engine: Engine, principal: Principal, after_id: int, limit: int = 500
) -> list[dict[str, Any]]:
    """The events in `principal`'s scope with case_event id > `after_id`, oldest first."""
    where, params = scope_sql(principal)
    with engine.connect() as conn:
        rows = conn.execute(
            text(EVENT_SELECT + f" WHERE e.id > :after AND {where} ORDER BY e.id LIMIT :limit"),
            {"after": after_id, "limit": limit, **params},
        ).all()
    return [_event_message(r) for r in rows]


def last_event_id(engine: Engine) -> int:
    """The highest case_event id now (0 when there is none)."""
    row = direct.fetch_one(engine, "SELECT coalesce(max(id), 0) FROM case_event", {})
    return int(row[0]) if row else 0


def serial(conn: Connection) -> None:
    """No parallel workers for the rest of this transaction: the snapshot's reads stop after a
    few thousand rows found by index, where starting workers cost more than they save."""
    conn.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))


def iso_sql(column: str) -> str:
    """SQL text of a timestamptz as Python's `isoformat()` writes it in UTC (microseconds only
    when there are any; NULL stays NULL)."""
    text_ = f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"
    return f"replace({text_}, '.000000+', '+')"


# `case_view` built by PostgreSQL (the live feed's event messages): the columns are named as
# the view's keys, so a row encoded whole is the view.
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


def rooms_of(message: dict[str, Any]) -> list[str]:
    """The rooms a case event message goes to: its case's place and department, and the
    department the event itself names (a case re-dispatched away still reaches its old
    department once, so the console can drop it)."""
    case = message["case"]
    detail = message.get("detail") or {}
    departments = (
        case.get("department_code"),
        detail.get("department_code"),
        detail.get("previous_department_code"),
    )
    place = Place(
        cell_code=case.get("cell_code"),
        street_code=case.get("street_code"),
        district_code=case.get("district_code"),
        department_codes=tuple(d for d in departments if d),
    )
    return rooms_for_place(place)


# Bounds per (place, current grid versions): a grid changes only when a new version is
# published, so the extent of 100,000 cells is computed once per version, not per connect.
_BOUNDS: dict[tuple, list[float] | None] = {}
_BOUNDS_MAX = 512


def scope_bounds(engine: Engine, principal: Principal) -> list[float] | None:
    """[west, south, east, north] of the current cells in `principal`'s place (all cells for
    admins and departments), so a page opens on its own area; None without a grid."""
    code = principal.jurisdiction_code if principal.role == OPERATOR else None
    cells = sorted(principal.cell_codes) if principal.role == GRID_WORKER else None
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
    bounds = None if row[0] is None else [float(v) for v in row]
    if len(_BOUNDS) >= _BOUNDS_MAX:
        _BOUNDS.clear()
    _BOUNDS[key] = bounds
    return bounds


def scope_name(engine: Engine, principal: Principal) -> dict[str, str] | None:
    """The name of what `principal` watches: its department or its jurisdiction, zh and en."""
    with engine.connect() as conn:
        if principal.role == DEPARTMENT_STAFF and principal.department_code:
            row = conn.execute(
                text("SELECT name_zh, name_en FROM department WHERE code = :c"),
                {"c": principal.department_code},
            ).first()
            return {"zh": row.name_zh, "en": row.name_en or row.name_zh} if row else None
        if principal.role == OPERATOR and principal.jurisdiction_code:
            name = conn.execute(
                text("SELECT name FROM jurisdiction WHERE code = :c"),
                {"c": principal.jurisdiction_code},
            ).scalar()
            return {"zh": name, "en": name} if name else None
    return None


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
