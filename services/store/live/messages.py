"""The live feed's messages about case events, as PostgreSQL encodes them: by envelope id (what
the feed reads from Kafka), by id range or ids (the replay log) and the latest in a scope (a page's
ticker when it opens).

PostgreSQL writes each message's JSON and the feed passes the text on as it is: building ~600
messages a second in Python at 300 reports/s was a fifth of the API process's CPU, in the
process that also serves the reports. Each row also carries what the message's rooms depend on
(the case's cell, street, district and department, the departments the event names).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from services.store import direct
from services.store.live.cases import CASE_FROM, CASE_JSON_COLUMNS, DETAIL_FIELDS, iso_sql
from services.store.scopes import Scope, scope_sql

# One row per event: its envelope id, what its rooms depend on, and the message as JSON text
# (`detail` holds the payload's DETAIL_FIELDS present in it; `case` the case's `case_view`).
_MESSAGE = f"""
    json_build_object(
        'id', e.id, 'event_id', e.event_id, 'type', e.type, 'at', {iso_sql("e.at")},
        'actor', e.actor,
        'detail', (SELECT coalesce(jsonb_object_agg(p.key, p.value), '{{}}')
                   FROM jsonb_each(e.payload) p WHERE p.key = ANY(%(fields)s)),
        'case', (SELECT row_to_json(v) FROM (SELECT {CASE_JSON_COLUMNS}) v)
    )
"""
# Each event is looked up with its case in a LATERAL subquery the planner may not merge into
# a join (`OFFSET 0`), so by the indexes whatever the tables' sizes: `e.event_id = ANY(ids)`
# joined to the cases had a plan, kept by each pooled connection from while the tables were
# small, that hashed every case there was for each poll.
_BY_EVENT_ID = f"""
    SELECT m.event_id, m.cell_code, m.street_code, m.district_code, m.department_code,
           m.new_department, m.old_department, m.message
    FROM (SELECT DISTINCT unnest(CAST(%(ids)s AS uuid[]))) AS i(event_id)
    CROSS JOIN LATERAL (
        SELECT e.id, e.event_id::text, c.cell_code, c.street_code, c.district_code,
               c.department_code, e.payload->>'department_code' AS new_department,
               e.payload->>'previous_department_code' AS old_department,
               {_MESSAGE}::text AS message
        FROM case_event e JOIN {CASE_FROM} ON c.id = e.case_id
        WHERE e.event_id = i.event_id OFFSET 0
    ) m
    ORDER BY m.id
"""
# Every event with an id in (after, upto] or among `ids`, oldest first, each with its time (the
# replay log's reads, replay.py).
_BY_ID = f"""
    SELECT e.id, extract(epoch FROM e.at)::float8, c.cell_code, c.street_code, c.district_code,
           c.department_code, e.payload->>'department_code',
           e.payload->>'previous_department_code', {_MESSAGE}::text
    FROM case_event e JOIN {CASE_FROM} ON c.id = e.case_id
    WHERE {{where}}
    ORDER BY e.id
"""
# The latest events in a scope, oldest first, as one JSON array (a page's ticker when it
# opens): the message is worked out for the events kept only (read newest first by id).
_RECENT = f"""
    SELECT coalesce(json_agg(t.m ORDER BY t.id), '[]')::text FROM (
        SELECT e.id, {_MESSAGE} AS m
        FROM case_event e JOIN {CASE_FROM} ON c.id = e.case_id
        WHERE {{where}} ORDER BY e.id DESC LIMIT %(limit)s
    ) t
"""


def by_event_id(engine: Engine, ids: list[str]) -> list[tuple[Any, ...]]:
    """(event id, cell, street, district, department, new department, old department,
    message text) of the committed events with these envelope ids (canonical UUID text),
    oldest first."""
    return direct.fetch_all(engine, _BY_EVENT_ID, {"ids": ids, "fields": list(DETAIL_FIELDS)})


def between(engine: Engine, after: int, upto: int) -> list[tuple[Any, ...]]:
    """(case_event id, its time in epoch seconds, cell, street, district, department, new
    department, old department, message text) of every committed event with an id in
    (after, upto], oldest first."""
    where = "e.id > %(after)s AND e.id <= %(upto)s"
    return direct.fetch_all(
        engine,
        _BY_ID.replace("{where}", where),
        {"after": after, "upto": upto, "fields": list(DETAIL_FIELDS)},
    )


def among(engine: Engine, ids: list[int]) -> list[tuple[Any, ...]]:
    """The rows `between` gives, of the committed events among these ids."""
    if not ids:
        return []
    where = "e.id = ANY(CAST(%(ids)s AS bigint[]))"
    return direct.fetch_all(
        engine, _BY_ID.replace("{where}", where), {"ids": ids, "fields": list(DETAIL_FIELDS)}
    )


def recent(engine: Engine, scope: Scope, limit: int = 30) -> str:
    """The messages of the latest `limit` case events in `scope`, oldest first, as one JSON
    array's text."""
    where, params = scope_sql(scope)
    row = direct.fetch_one(
        engine,
        _RECENT.replace("{where}", direct.placeholders(where, params)),
        {**params, "limit": limit, "fields": list(DETAIL_FIELDS)},
    )
    return row[0] if row else "[]"
