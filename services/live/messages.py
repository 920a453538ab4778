"""The live feed's messages about case events, as PostgreSQL encodes them.

Every case event a process's feed reads from Kafka is looked up in the database (for its
case_event id and its case as it is now), a poll's events in one statement. The message is the
one `queries.events_since` builds in Python for a replay (same keys, same values), but here
PostgreSQL writes its JSON and the feed passes the text on as it is: building ~600 messages a
second in Python at 300 reports/s was a fifth of the API process's CPU, in the process that
also serves the reports. The statement looks the events up by their envelope ids as `uuid`,
one by one through `case_event`'s unique index.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from uuid import UUID

import orjson
from sqlalchemy import Engine

from services.auth.principal import Principal
from services.live.queries import (
    CASE_FROM,
    CASE_JSON_COLUMNS,
    DETAIL_FIELDS,
    iso_sql,
    rooms_of,
    scope_sql,
)
from services.store import direct

_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
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
# Every event with an id in (after, upto], oldest first: the replay log's reads (replay.py).
_BY_ID_RANGE = f"""
    SELECT e.id, c.cell_code, c.street_code, c.district_code, c.department_code,
           e.payload->>'department_code', e.payload->>'previous_department_code',
           {_MESSAGE}::text
    FROM case_event e JOIN {CASE_FROM} ON c.id = e.case_id
    WHERE e.id > %(after)s AND e.id <= %(upto)s
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


@dataclass(frozen=True)
class EventMessage:
    """A case event's live message: `body` (JSON text, sent as it is) and the rooms it goes
    to (`queries.rooms_of`)."""

    event_id: str
    rooms: list[str]
    body: orjson.Fragment


def canonical_event_id(value: object) -> str | None:
    """An envelope's event id as `event_messages` reports it (a UUID's canonical text), or
    None when it is not a UUID."""
    if isinstance(value, str) and _CANONICAL.fullmatch(value):
        return value  # as envelopes write them: no parsing
    try:
        return str(UUID(str(value))) if value is not None else None
    except ValueError:
        return None


def event_messages(engine: Engine, event_ids: list[str]) -> list[EventMessage]:
    """The messages of the committed case events with these envelope ids (canonical, see
    `canonical_event_id`), oldest first; an id that is not a UUID names no event."""
    ids = [e for e in event_ids if canonical_event_id(e) == e]
    if not ids:
        return []
    rows = direct.fetch_all(engine, _BY_EVENT_ID, {"ids": ids, "fields": list(DETAIL_FIELDS)})
    return [
        EventMessage(event_id, list(_rooms(*place)), orjson.Fragment(body))
        for event_id, *place, body in rows
    ]


def messages_between(
    engine: Engine, after: int, upto: int
) -> list[tuple[int, tuple[str, ...], orjson.Fragment]]:
    """(case_event id, rooms, message) of every committed event with an id in (after, upto],
    oldest first, whatever its scope."""
    rows = direct.fetch_all(
        engine, _BY_ID_RANGE, {"after": after, "upto": upto, "fields": list(DETAIL_FIELDS)}
    )
    return [(seq, _rooms(*place), orjson.Fragment(body)) for seq, *place, body in rows]


def recent_messages(engine: Engine, principal: Principal, limit: int = 30) -> orjson.Fragment:
    """The messages of the latest `limit` case events in `principal`'s scope, oldest first, as
    one JSON array (sent as it is in a first snapshot's `events`): each the message a replay
    builds for that event."""
    where, params = scope_sql(principal)
    row = direct.fetch_one(
        engine,
        _RECENT.replace("{where}", direct.placeholders(where, params)),
        {**params, "limit": limit, "fields": list(DETAIL_FIELDS)},
    )
    return orjson.Fragment(row[0] if row else "[]")


@functools.lru_cache(maxsize=4096)
def _rooms(
    cell: str | None,
    street: str | None,
    district: str | None,
    department: str | None,
    new_department: str | None,
    old_department: str | None,
) -> tuple[str, ...]:
    # A few thousand places and departments at most: each set of rooms is worked out once.
    message = {
        "case": {
            "cell_code": cell,
            "street_code": street,
            "district_code": district,
            "department_code": department,
        },
        "detail": {"department_code": new_department, "previous_department_code": old_department},
    }
    return tuple(rooms_of(message))
