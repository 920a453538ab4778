"""The transactional outbox: events written in the same transaction as the data they describe.

The relay (streams/) publishes unsent rows to Kafka in id order per key and marks them sent.
An insert wakes the relay through `NOTIFY gridflow_outbox` (a trigger, see migration 0002).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from services.envelopes import envelope

NOTIFY_CHANNEL = "gridflow_outbox"


def enqueue(
    conn: Connection,
    topic: str,
    key: str,
    event_type: str,
    payload: dict[str, Any],
    *,
    occurred_at: datetime | None = None,
) -> dict[str, Any]:
    """Adds one event for `topic` (a logical name from services.envelopes) keyed by `key`.

    Runs inside the caller's transaction: the event exists if and only if the caller commits.
    Returns the envelope written.
    """
    event = envelope(event_type, payload, occurred_at=occurred_at)
    conn.execute(
        text(
            "INSERT INTO outbox (event_id, topic, key, event_type, envelope) "
            "VALUES (:event_id, :topic, :key, :event_type, CAST(:envelope AS jsonb))"
        ),
        {
            "event_id": event["event_id"],
            "topic": topic,
            "key": key,
            "event_type": event_type,
            "envelope": json.dumps(event, ensure_ascii=False),
        },
    )
    return event


def mark_sent(conn: Connection, event_ids: list[str]) -> int:
    """Marks these events sent without relaying them (a replay of the past, the demo's
    history: its events are history, not news for the live feed or the notifiers); in the
    caller's transaction. Returns how many were marked."""
    if not event_ids:
        return 0
    return conn.execute(
        text(
            "UPDATE outbox SET sent_at = now() WHERE sent_at IS NULL "
            "AND event_id = ANY(CAST(:ids AS uuid[]))"
        ),
        {"ids": event_ids},
    ).rowcount
