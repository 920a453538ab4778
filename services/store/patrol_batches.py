"""A grid worker's patrol batches (tables `patrol_batch`, `outbox`): each batch stored once
by its id, with its two outbox rows (services.capture.patrol builds them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

# The batch's idempotency row and, only when it is new, its two outbox rows: one statement, so
# one round trip and one commit (a statement is atomic; ON CONFLICT waits for a concurrent
# writer of the same batch, then does nothing).
_WRITE = text(
    """
    WITH fresh AS (
      INSERT INTO patrol_batch (worker_id, batch_id, points) VALUES (:worker, :batch, :count)
      ON CONFLICT (worker_id, batch_id) DO NOTHING RETURNING points
    ), events AS (
      INSERT INTO outbox (event_id, topic, key, event_type, envelope)
      SELECT e.event_id, e.topic, :key, e.event_type, e.envelope
      FROM (VALUES
        (CAST(:pings_id AS uuid), :pings_topic, 'PatrolPingsReceived', CAST(:pings AS jsonb)),
        (CAST(:position_id AS uuid), :position_topic, 'WorkerPositionReported',
         CAST(:position AS jsonb))
      ) AS e (event_id, topic, event_type, envelope)
      WHERE EXISTS (SELECT 1 FROM fresh)
    )
    SELECT points FROM fresh
    """
)
_STORED = text("SELECT points FROM patrol_batch WHERE worker_id = :worker AND batch_id = :batch")


def write(engine: Engine, params: dict[str, Any]) -> int | None:
    """Stores the batch and its outbox rows when its id is new (None); else the point count
    stored with that id before (the outbox untouched)."""
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        if conn.execute(_WRITE, params).first() is not None:
            return None
        return int(conn.execute(_STORED, params).scalar_one())
