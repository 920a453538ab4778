"""Housekeeping of the tables that only grow: outbox rows Kafka already has, and the
processed-event marks of the stream consumers once no replay can bring their event back.

Deletes run in small batches, each its own transaction, so a long backlog never holds locks
or a snapshot for long; several processes may prune at once (deletes of the same rows do not
conflict beyond waiting for each other).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, text

BATCH = 5000

# The oldest rows sit at the head of the primary key: the delete walks it from there.
_SENT_OUTBOX = (
    "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE sent_at < :before "
    "ORDER BY id LIMIT :n)"
)
# No index on processed_at: old marks sit at the start of the heap, where the scan begins.
_PROCESSED = (
    "DELETE FROM processed_event WHERE ctid = ANY(ARRAY(SELECT ctid FROM processed_event "
    "WHERE processed_at < :before LIMIT :n))"
)


@dataclass(frozen=True)
class Pruned:
    outbox: int
    processed_events: int


def _delete_in_batches(engine: Engine, sql: str, before: datetime) -> int:
    total = 0
    while True:
        with engine.begin() as conn:
            deleted = conn.execute(text(sql), {"before": before, "n": BATCH}).rowcount
        total += deleted
        if deleted < BATCH:
            return total


def prune(engine: Engine, *, sent_before: datetime, processed_before: datetime) -> Pruned:
    """Deletes outbox rows sent before `sent_before` (unsent rows are never touched) and
    processed-event marks older than `processed_before`. Called by the scheduler; the caller
    picks cut-offs beyond any redelivery (the broker's retention) and any inspection need."""
    return Pruned(
        outbox=_delete_in_batches(engine, _SENT_OUTBOX, sent_before),
        processed_events=_delete_in_batches(engine, _PROCESSED, processed_before),
    )
