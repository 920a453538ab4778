"""Housekeeping: outbox rows Kafka has had for a day and processed-event marks past the
broker's retention are deleted in batches; unsent rows and recent marks are never touched.
On a database of its own, so no running relay sees the rows made here."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from services.store import housekeeping
from streams.scheduler import housekeeping_job
from tests.integration.services.live.isolated import own_engine, own_stack

NOW = datetime(2020, 1, 10, 12, 0, tzinfo=UTC)
OLD_SENT = housekeeping.BATCH * 2 + 17  # more than one batch


@pytest.fixture(scope="module")
def prunable(config):
    with own_stack(config, "housekeeping") as own, own_engine(own) as engine:
        yield own, engine


def _outbox(conn, count: int, created: str, sent: str | None) -> None:
    conn.execute(
        text(
            "INSERT INTO outbox (event_id, topic, key, event_type, envelope, created_at, sent_at) "
            "SELECT gen_random_uuid(), 'case-events.v1', 'k', 'CaseRegistered', '{}'::jsonb, "
            "CAST(:c AS timestamptz), CAST(:s AS timestamptz) FROM generate_series(1, :n)"
        ),
        {"c": created, "s": sent, "n": count},
    )


def _marks(conn, count: int, at: str) -> None:
    conn.execute(
        text(
            "INSERT INTO processed_event (consumer, event_id, processed_at) "
            "SELECT 'router', gen_random_uuid(), CAST(:at AS timestamptz) "
            "FROM generate_series(1, :n)"
        ),
        {"at": at, "n": count},
    )


def test_sent_rows_and_old_marks_go_unsent_rows_and_recent_marks_stay(prunable):
    config, engine = prunable
    with engine.begin() as conn:
        _outbox(conn, 3, "2020-01-01T00:00Z", None)  # unsent for days: the relay still owes it
        _outbox(conn, OLD_SENT, "2020-01-08T00:00Z", "2020-01-08T00:01Z")
        _outbox(conn, 5, "2020-01-09T18:00Z", "2020-01-09T18:00Z")  # sent less than 24 h ago
        _marks(conn, 40, "2019-12-20T00:00Z")
        _marks(conn, 7, "2020-01-01T00:00Z")

    pruned = housekeeping_job(engine, config, clock=lambda: NOW)

    assert (pruned.outbox, pruned.processed_events) == (OLD_SENT, 40)
    with engine.connect() as conn:
        left = conn.execute(
            text("SELECT count(*) FILTER (WHERE sent_at IS NULL), count(*) FROM outbox")
        ).one()
        marks = conn.execute(text("SELECT min(processed_at) FROM processed_event")).scalar_one()
    assert tuple(left) == (3, 8)
    assert marks == datetime(2020, 1, 1, tzinfo=UTC)
    again = housekeeping_job(engine, config, clock=lambda: NOW)
    assert (again.outbox, again.processed_events) == (0, 0)
