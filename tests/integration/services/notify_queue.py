"""Queues the phone app notifications of a case's milestones as `gridflow notifier`'s
processor does (the same function, over the case's recorded events), for tests of what a
worker reads without running the notifier."""

from __future__ import annotations

from sqlalchemy import text

from services.config import Config
from services.notify.messages import notifications_for
from services.store.notifications import queue_notifications, reporter_of_case


def queue_app_notifications(engine, case_id, config: Config | None = None) -> list[int]:
    """Queues the app notifications of every milestone the case has had; returns their ids."""
    with engine.begin() as conn:
        reporter = reporter_of_case(conn, case_id)
        events = conn.execute(
            text("SELECT event_id, type, at AS occurred_at, payload FROM case_event "
                 "WHERE case_id = :c ORDER BY id"), {"c": case_id},
        ).mappings()  # fmt: skip
        rows = [
            row
            for e in events
            for row in notifications_for({**e, "case_id": case_id}, reporter, config or Config())
            if row["channel"] == "app"
        ]
        queue_notifications(conn, rows)
        ids = conn.execute(
            text("SELECT id FROM notification WHERE case_id = :c AND channel = 'app' ORDER BY id"),
            {"c": case_id},
        ).scalars()
        return list(ids)
