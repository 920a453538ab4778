"""The event envelope and topic names shared by the API (which writes the outbox) and the
stream processors (which publish and consume). Standard library only.

Envelope: {"event_id": UUID, "type": "ReportCaptured", "occurred_at": ISO-8601 UTC,
           "schema_version": 1, "payload": {...}}
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

SCHEMA_VERSION = 1

# Logical topic names; the Kafka topic is the configured prefix + this name.
REPORTS = "reports.v1"
CASE_EVENTS = "case-events.v1"
PATROL_PINGS = "patrol-pings.v1"
# One small event per accepted patrol batch: the worker's latest point, for the live map.
PATROL_POSITIONS = "patrol-positions.v1"
# What `gridflow patrol` changed today, after each commit: cells' coverage and the workers
# whose track grew, for the live map (absolute figures: a lost one is made good by the next).
PATROL_COVERAGE = "patrol-coverage.v1"
DEAD_LETTER = "dead-letter.v1"
# A milestone of a grid worker's own report, for the phone app (`gridflow notifier` sends each
# once it is queued; every `serve` pushes it to that account's sockets).
APP_NOTIFICATIONS = "app-notifications.v1"
ALL_TOPICS = (REPORTS, CASE_EVENTS, PATROL_PINGS, PATROL_POSITIONS, PATROL_COVERAGE, DEAD_LETTER,
              APP_NOTIFICATIONS)  # fmt: skip


def topic_name(prefix: str, logical: str) -> str:
    """The Kafka topic for a logical topic under a configured prefix."""
    return f"{prefix}{logical}"


def envelope(
    event_type: str,
    payload: dict[str, Any],
    *,
    occurred_at: datetime | None = None,
    event_id: uuid.UUID | str | None = None,
) -> dict[str, Any]:
    """Wraps a payload in the one envelope every gridflow event uses."""
    return {
        "event_id": str(event_id or uuid.uuid4()),
        "type": event_type,
        "occurred_at": _utc_text(occurred_at or datetime.now(UTC)),
        "schema_version": SCHEMA_VERSION,
        "payload": payload,
    }


@lru_cache(maxsize=256)
def _utc_text(moment: datetime) -> str:
    """An instant as ISO-8601 in UTC. Remembered: the events written together (a batch's
    cases, a case's registration and dispatch) mostly share one instant."""
    return moment.astimezone(UTC).isoformat()
