"""The snapshot's open cases and cell load, read in columns: one JSON array per field.

A district's snapshot holds its 2,000 most recent open cases and the load of every cell with
an open case (~8,000 at city scale). Sent as one `case_view` object per case they were ~1.3 MB
of JSON (~640 bytes a case: key names, category and department names repeated, fields no map
draws) and ~90 ms of PostgreSQL (four joins, a record encoded per row). Here PostgreSQL gathers
each field into one array (`array_agg`, encoded once per array) and a case carries what its page
draws; anything else about a case comes with `case_detail` when it is clicked:

    cases = {"columns": {"id": [...], "report_id": [...], "case_no": [...], "state": [...],
                         "category_code": [...], "lat": [...], "lng": [...], "overdue": [...],
                         "seq": [...]},
             "categories": {category_code: {"zh", "en"}}}   # the names of those categories

Department staff (the department console: a card per case with its countdown) also get
`department_code`, `ack_due`, `resolve_due`, `summary`, `address` and `pressed` (the latest
supervision or urging by hand: type, at, note, respond_by; null if none); grid workers (the phone's
list of the open cases in their cells, "case number · cell") also get `cell_code`. Row i of
every column is one case, most recent first; each value is what `case_view` gives for that
case.

    cells = {"cell_code": [...], "open": [...], "overdue": [...]}

The snapshot a client gets on connect is put together in services.live.snapshot.
"""

from __future__ import annotations

from sqlalchemy import Engine, text

from services.store import direct
from services.store.live.cases import OPEN_SQL, OVERDUE_SQL, iso_sql, serial
from services.store.scopes import Scope, scope_sql

# The latest supervision (督办) or urging (催办) of the case by hand while its department holds
# it: what the department console puts on top, with its note (a case of a few per department).
PRESSED_SQL = (
    "(SELECT json_build_object('type', e.type, 'at', " + iso_sql("e.at") + ", "
    "'note', e.payload->>'note', 'respond_by', e.payload->>'respond_by') FROM case_event e "
    "WHERE e.case_id = c.id AND e.type IN ('CaseSupervised', 'CaseUrged') "
    "AND e.payload->>'department_code' = c.department_code ORDER BY e.id DESC LIMIT 1)"
)
# Field → SQL over case_file `c` (and report `r`, console columns only). The position falls
# back to the report's only for a case without one (COALESCE reads the report then alone).
MAP_COLUMNS = {
    "id": "c.id::text",
    "report_id": "c.report_id::text",
    "case_no": "c.case_no",
    "state": "c.state",
    "category_code": "c.category_code",
    "lat": "coalesce(ST_Y(c.geom), (SELECT r0.lat FROM report r0 WHERE r0.id = c.report_id))",
    "lng": "coalesce(ST_X(c.geom), (SELECT r0.lng FROM report r0 WHERE r0.id = c.report_id))",
    "overdue": f"coalesce({OVERDUE_SQL}, FALSE)",
    "seq": "(SELECT max(e2.id) FROM case_event e2 WHERE e2.case_id = c.id)",
}
FIELD_COLUMNS = {**MAP_COLUMNS, "cell_code": "c.cell_code"}
CONSOLE_COLUMNS = {
    **MAP_COLUMNS,
    "lat": "coalesce(ST_Y(c.geom), r.lat)",
    "lng": "coalesce(ST_X(c.geom), r.lng)",
    "department_code": "c.department_code",
    "ack_due": iso_sql("c.ack_due"),
    "resolve_due": iso_sql("c.resolve_due"),
    "summary": "left(r.description, 200)",
    "address": "r.address",
    "pressed": PRESSED_SQL,
}


# What the columns above read of a case: the most recent open cases are picked on these alone
# (a few hundred bytes a case through the sort), and the fields computed for those kept only
# (computed below the sort, the position and the text of the ids were worked out for every
# open case in scope, 8,000 in a district, to keep 2,000: 12.5 → 7.5 ms).
CASE_FIELDS_READ = (
    "c.id, c.report_id, c.case_no, c.state, c.category_code, c.geom, c.cell_code, "
    "c.department_code, "
    "c.ack_due, c.resolve_due, c.ack_overdue, c.resolve_overdue, c.created_at"
)


COLUMNS = {"map": MAP_COLUMNS, "field": FIELD_COLUMNS, "console": CONSOLE_COLUMNS}


def open_cases_sql(view: str, scope: Scope) -> tuple[str, dict]:
    """The statement behind `open_cases` (one row, one JSON text) and its parameters but the
    limit: the COLUMNS of `view` ("map", "field" or "console") of the cases in `scope`."""
    columns = COLUMNS[view]
    where, params = scope_sql(scope)
    joined = "LEFT JOIN report r ON r.id = c.report_id" if columns is CONSOLE_COLUMNS else ""
    select = ", ".join(f"{sql} AS {name}" for name, sql in columns.items())
    # An empty array, not NULL, when no case is open; the aggregates read the ordered
    # sub-select as it comes (nothing joined above it), so every column keeps its order (the
    # sort above the report's join costs nothing when the join kept the order already).
    arrays = ", ".join(f"'{name}', coalesce(array_agg(t.{name}), '{{}}')" for name in columns)
    names = (
        "(SELECT coalesce(json_object_agg(k.code, json_build_object('zh', k.name_zh, "
        "'en', k.name_en)), '{}') FROM category k WHERE k.code = ANY(array_agg(t.category_code)))"
    )
    latest = (
        f"SELECT {CASE_FIELDS_READ} FROM case_file c WHERE {OPEN_SQL} AND {where} "
        "ORDER BY c.created_at DESC LIMIT :limit"
    )
    statement = (
        f"SELECT json_build_object('columns', json_build_object({arrays}), "
        f"'categories', {names})::text FROM (SELECT {select} FROM ({latest}) c {joined} "
        "ORDER BY c.created_at DESC) t"
    )
    return statement, params


def open_cases(engine: Engine, view: str, scope: Scope, limit: int = 2000) -> str:
    """Open cases in `scope`, most recent first (closed ones leave the map), in the columns of
    `view` (see the module's docstring); JSON text encoded by PostgreSQL."""
    statement, params = open_cases_sql(view, scope)
    with engine.connect() as conn:
        serial(conn)
        return conn.execute(text(statement), {"limit": limit, **params}).scalar_one()


def cell_load(engine: Engine, scope: Scope) -> str:
    """Open and overdue case counts of each cell in `scope` with an open case, in columns
    {cell_code, open, overdue}; JSON text encoded by PostgreSQL."""
    where, params = scope_sql(scope)
    with engine.connect() as conn:
        serial(conn)
        return conn.execute(
            text(
                "SELECT json_build_object('cell_code', coalesce(array_agg(t.cell_code), '{}'), "
                "'open', coalesce(array_agg(t.open), '{}'), "
                "'overdue', coalesce(array_agg(t.overdue), '{}'))::text FROM ("
                f"SELECT c.cell_code, count(*) AS open, count(*) FILTER (WHERE {OVERDUE_SQL}) "
                f"AS overdue FROM case_file c WHERE {OPEN_SQL} AND {where} "
                "AND c.cell_code IS NOT NULL GROUP BY c.cell_code) t"
            ),
            params,
        ).scalar_one()


def cursor_and_open_cases_of_cells(
    engine: Engine, cell_lists: list[list[str]]
) -> list[tuple[int, str]]:
    """The cursor (the newest case_event id) and the open cases ("field" columns) of grid
    workers, one list of cells each, in one statement (one snapshot of the database for all of
    them: the phones of a district reconnect by the thousand); in the order of `cell_lists`."""
    if not cell_lists:
        return []
    # The statement of a worker with cells, each row's cells put in place of its parameter
    # (joined by commas: cell codes hold none).
    statement, _ = open_cases_sql("field", Scope("cells", ("-",)))
    statement = statement.replace(":scope_cells", "string_to_array(w.cells, ',')")
    query = (
        "SELECT w.k, (SELECT coalesce(max(id), 0) FROM case_event), "
        f"({statement}) FROM unnest(CAST(:keys AS int[]), CAST(:cells AS text[])) AS w(k, cells)"
    )
    params = {
        "keys": list(range(len(cell_lists))),
        "cells": [",".join(sorted(cells)) for cells in cell_lists],
        "limit": 2000,
    }
    rows = direct.fetch_all(engine, direct.placeholders(query, list(params)), params)
    found = {k: (int(last), cases) for k, last, cases in rows}
    return [found[k] for k in range(len(cell_lists))]
