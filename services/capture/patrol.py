"""Patrol tracks: batches of buffered GPS points from one grid worker.

Each accepted batch is one `PatrolPingsReceived` outbox row (key: the worker id), written in
the request's transaction; the stream processors aggregate the tracks. With it goes one small
`WorkerPositionReported` row on its own topic — the batch's latest point — which is all the
live map needs, so no API process reads 500-point batches to move a marker. Points are
converted to WGS84 here, so consumers never deal with datums. A batch_id seen before is
acknowledged again without a second event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

from geo.datum import to_wgs84
from services.capture.schemas import PatrolPing
from services.events import PATROL_PINGS, PATROL_POSITIONS
from services.store.outbox import enqueue

MAX_AGE = timedelta(days=7)
CLOCK_SKEW = timedelta(minutes=10)


class PingRejected(ValueError):
    """A point is out of the accepted time window; `field` names it (pings[i].t)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class PatrolReceipt:
    batch_id: uuid.UUID
    accepted: int
    duplicate: bool


def check_times(pings: list[PatrolPing], now: datetime) -> None:
    """Raises PingRejected for a point from the future or older than MAX_AGE (the first such
    point is named)."""
    latest, earliest = now + CLOCK_SKEW, now - MAX_AGE
    if all(earliest <= ping.t <= latest for ping in pings):
        return
    for i, ping in enumerate(pings):
        if ping.t > latest:
            raise PingRejected(f"pings[{i}].t", "the point is in the future")
        if ping.t < earliest:
            raise PingRejected(f"pings[{i}].t", "the point is older than 7 days")


def _wgs84_points(pings: list[PatrolPing]) -> list[dict]:
    """The points oldest first, in WGS84 (7 decimals), times in UTC."""
    points = []
    for ping in sorted(pings, key=lambda p: p.t):
        lat, lng = (ping.lat, ping.lng) if ping.crs == "wgs84" else \
            to_wgs84(ping.lat, ping.lng, ping.crs)  # fmt: skip
        points.append(
            {
                "t": ping.t.astimezone(UTC).isoformat(),
                "lat": round(lat, 7),
                "lng": round(lng, 7),
                "accuracy_m": ping.accuracy_m,
            }
        )
    return points


def receive_pings(
    engine: Engine, worker_id: int, batch_id: uuid.UUID | None, pings: list[PatrolPing]
) -> PatrolReceipt:
    """Validates times, converts to WGS84 and enqueues the batch (once per batch_id)."""
    now = datetime.now(UTC)
    check_times(pings, now)
    batch_id = batch_id or uuid.uuid4()
    points = _wgs84_points(pings)
    with engine.begin() as conn:
        fresh = conn.execute(
            text(
                "INSERT INTO patrol_batch (worker_id, batch_id, points) VALUES (:w, :b, :n) "
                "ON CONFLICT (worker_id, batch_id) DO NOTHING RETURNING points"
            ),
            {"w": worker_id, "b": batch_id, "n": len(points)},
        ).first()
        if fresh is None:
            count = conn.execute(
                text("SELECT points FROM patrol_batch WHERE worker_id = :w AND batch_id = :b"),
                {"w": worker_id, "b": batch_id},
            ).scalar_one()
            return PatrolReceipt(batch_id, count, duplicate=True)
        payload = {"worker_id": worker_id, "batch_id": str(batch_id), "pings": points}
        enqueue(conn, PATROL_PINGS, str(worker_id), "PatrolPingsReceived", payload)
        last = points[-1]
        position = {"worker_id": worker_id, "t": last["t"], "lat": last["lat"], "lng": last["lng"]}
        enqueue(conn, PATROL_POSITIONS, str(worker_id), "WorkerPositionReported", position)
    return PatrolReceipt(batch_id, len(points), duplicate=False)
