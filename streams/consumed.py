"""What the consume loop hands a stream processor: a consumed record's envelope decoded into an
`Event`, the processor's signatures, and `Rejected`, which a processor raises for an event it
can never apply (the loop dead-letters it)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson


class Rejected(Exception):
    """Raised by a processor for an event it can never apply; the loop dead-letters it."""


@dataclass(frozen=True)
class Event:
    """A decoded envelope plus where it was read from."""

    event_id: uuid.UUID
    type: str
    occurred_at: datetime
    schema_version: int
    payload: dict[str, Any]
    topic: str
    partition: int
    offset: int
    key: str | None


Processor = Callable[[Event], None]
# Applies several events in one transaction; raises when the batch cannot be applied. It may
# return the events it refused (event, reason): nothing of them was applied, the loop
# dead-letters them and the others stay applied.
BatchProcessor = Callable[[list[Event]], Sequence[tuple[Event, str]] | None]


def decode(record: Any) -> Event:
    """Decodes a consumer record's envelope; raises `Rejected` naming what is wrong."""
    value = record.value
    if not isinstance(value, bytes | bytearray | memoryview | str):
        raise Rejected(f"not a JSON envelope: the value is {type(value).__name__}")
    try:
        body = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise Rejected(f"not a JSON envelope: {exc}") from exc
    if not isinstance(body, dict):
        raise Rejected("not a JSON envelope: the value is not an object")
    required = ("event_id", "type", "occurred_at", "schema_version", "payload")
    missing = [f for f in required if f not in body]
    if missing:
        raise Rejected(f"envelope lacks {', '.join(missing)}")
    try:
        event_id = uuid.UUID(str(body["event_id"]))
    except ValueError as exc:
        raise Rejected(f"event_id is not a UUID: {body['event_id']!r}") from exc
    try:
        occurred_at = datetime.fromisoformat(str(body["occurred_at"]))
    except ValueError as exc:
        raise Rejected(f"occurred_at is not an ISO-8601 time: {body['occurred_at']!r}") from exc
    if occurred_at.tzinfo is None:
        raise Rejected("occurred_at has no time zone")
    if not isinstance(body["type"], str) or not body["type"]:
        raise Rejected("type is not a non-empty string")
    if not isinstance(body["schema_version"], int) or isinstance(body["schema_version"], bool):
        raise Rejected("schema_version is not an integer")
    if not isinstance(body["payload"], dict):
        raise Rejected("payload is not an object")
    key = record.key.decode("utf-8", "replace") if record.key is not None else None
    return Event(
        event_id=event_id,
        type=body["type"],
        occurred_at=occurred_at,
        schema_version=body["schema_version"],
        payload=body["payload"],
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=key,
    )
