"""The live feed's messages about case events, as PostgreSQL encodes them
(services.store.live.messages), with the rooms each goes to.

Every case event a process's feed reads from Kafka is looked up in the database (for its
case_event id and its case as it is now), a poll's events in one statement. The message is the
one `queries.events_since` builds in Python for a replay (same keys, same values), passed on
as the text PostgreSQL wrote.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from uuid import UUID

import orjson
from sqlalchemy import Engine

from services.auth.principal import Principal
from services.live.queries import rooms_of, scope_of
from services.store.live import messages as store

_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


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
    return [
        EventMessage(event_id, list(_rooms(*place)), orjson.Fragment(body))
        for event_id, *place, body in store.by_event_id(engine, ids)
    ]


def messages_between(
    engine: Engine, after: int, upto: int, also: list[int] | None = None
) -> list[tuple[int, float, tuple[str, ...], orjson.Fragment]]:
    """(case_event id, its time in epoch seconds, rooms, message) of every committed event with
    an id in (after, upto] or among `also`, oldest first, whatever its scope."""
    rows = store.between(engine, after, upto) if upto > after else []
    if also:
        rows = sorted(rows + store.among(engine, also), key=lambda row: row[0])
    return [(seq, at, _rooms(*place), orjson.Fragment(body)) for seq, at, *place, body in rows]


def recent_messages(engine: Engine, principal: Principal, limit: int = 30) -> orjson.Fragment:
    """The messages of the latest `limit` case events in `principal`'s scope, oldest first, as
    one JSON array (sent as it is in a first snapshot's `events`): each the message a replay
    builds for that event."""
    return orjson.Fragment(store.recent(engine, scope_of(principal), limit))


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
