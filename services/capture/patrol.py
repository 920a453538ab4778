"""Patrol tracks: batches of buffered GPS points from one grid worker.

Each accepted batch is one `PatrolPingsReceived` outbox row (key: the worker id), written with
the batch's idempotency row in one statement; the stream processors aggregate the tracks. With
it goes one small `WorkerPositionReported` row on its own topic — the batch's latest point —
which is all the live map needs, so no API process reads 500-point batches to move a marker.
Points are converted to WGS84 here, so consumers never deal with datums. A batch_id seen before
is acknowledged again without a second event.

A batch is held as columns (`Track`), not as 500 validated objects: `track_of` checks a parsed
body column by column and accepts only what the `PatrolBatchIn` model would accept, with the
same values; for anything else it answers None and the caller validates with the model, which
names the field at fault (`pings[17].lat`).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Engine

from geo.datum import to_wgs84
from services.capture.schemas import PatrolBatchIn
from services.envelopes import PATROL_PINGS, PATROL_POSITIONS, envelope
from services.store import patrol_batches
from services.store.db import retry_on_disconnect

MAX_AGE = timedelta(days=7)
CLOCK_SKEW = timedelta(minutes=10)
MAX_POINTS = 500
CRS = frozenset(("wgs84", "gcj02", "bd09"))
POINT_KEYS = frozenset(("t", "lat", "lng", "crs", "accuracy_m"))
BATCH_KEYS = frozenset(("batch_id", "pings"))
# The one timestamp form read without the model: RFC 3339 with seconds, at most microseconds
# and an explicit offset (what phones and `datetime.isoformat()` send). Other forms the model
# accepts (no offset is refused, a space for T, …) go through the model.
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?(Z|[+-]\d\d:\d\d)")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class PingRejected(ValueError):
    """A point is out of the accepted time window; `field` names it (pings[i].t)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Track:
    """A validated batch as columns, in the order the phone sent the points."""

    batch_id: uuid.UUID | None
    t: list[datetime]
    lat: list[float]
    lng: list[float]
    crs: list[str]
    accuracy_m: list[float | None]
    # Each time as the phone wrote it when that is already its UTC text (`isoformat()` of
    # the UTC instant), else None: such a time is passed on as it came.
    utc_text: list[str | None] | None = None

    @classmethod
    def of(cls, batch: PatrolBatchIn) -> Track:
        """The columns of a batch the model validated."""
        pings = batch.pings
        return cls(
            batch.batch_id,
            [p.t for p in pings],
            [p.lat for p in pings],
            [p.lng for p in pings],
            [p.crs for p in pings],
            [p.accuracy_m for p in pings],
        )


@dataclass(frozen=True)
class PatrolReceipt:
    batch_id: uuid.UUID
    accepted: int
    duplicate: bool


def _number(value: Any, low: float, high: float) -> float | None:
    kind = type(value)
    if (kind is float or kind is int) and low <= value <= high:
        return float(value)
    return None


def track_of(data: Any) -> Track | None:
    """The batch in a parsed JSON body when it is plainly valid (each field of the type and
    range `PatrolBatchIn` asks for, timestamps in RFC 3339 form with an offset), else None:
    then the model decides and names the field at fault. Never accepts what the model refuses;
    values are those the model would give."""
    if type(data) is not dict or not data.keys() <= BATCH_KEYS:
        return None
    pings, batch_id = data.get("pings"), data.get("batch_id")
    if type(pings) is not list or not 1 <= len(pings) <= MAX_POINTS:
        return None
    if batch_id is not None:
        if type(batch_id) is not str or not _UUID.fullmatch(batch_id):
            return None
        batch_id = uuid.UUID(batch_id)
    ts, texts, lats, lngs, crss, accuracies = [], [], [], [], [], []
    fromisoformat, matches = datetime.fromisoformat, _TIMESTAMP.fullmatch
    for ping in pings:
        if type(ping) is not dict or not ping.keys() <= POINT_KEYS:
            return None
        t, crs, accuracy = ping.get("t"), ping.get("crs"), ping.get("accuracy_m")
        lat = _number(ping.get("lat"), -90, 90)
        lng = _number(ping.get("lng"), -180, 180)
        if lat is None or lng is None or type(t) is not str or type(crs) is not str:
            return None
        if crs not in CRS:
            return None
        if accuracy is not None and (accuracy := _number(accuracy, 0, 100_000)) is None:
            return None
        if not (match := matches(t)):
            return None
        try:
            ts.append(fromisoformat(t))
        except ValueError:
            return None
        fraction = match[1]
        canonical = fraction is None or (len(fraction) == 7 and fraction != ".000000")
        texts.append(t if canonical and match[2] == "+00:00" else None)
        lats.append(lat)
        lngs.append(lng)
        crss.append(crs)
        accuracies.append(accuracy)
    return Track(batch_id, ts, lats, lngs, crss, accuracies, texts)


def check_times(times: list[datetime], now: datetime) -> None:
    """Raises PingRejected for a point from the future or older than MAX_AGE (the first such
    point is named)."""
    latest, earliest = now + CLOCK_SKEW, now - MAX_AGE
    if earliest <= min(times) and max(times) <= latest:
        return
    for i, t in enumerate(times):
        if t > latest:
            raise PingRejected(f"pings[{i}].t", "the point is in the future")
        if t < earliest:
            raise PingRejected(f"pings[{i}].t", "the point is older than 7 days")


def wgs84_points(track: Track) -> list[dict[str, Any]]:
    """The points oldest first (the phone's order among equal times), in WGS84 (7 decimals),
    times in UTC."""
    times, texts = track.t, track.utc_text or [None] * len(track.t)
    order = sorted(range(len(times)), key=times.__getitem__)
    points = []
    for i in order:
        lat, lng, crs = track.lat[i], track.lng[i], track.crs[i]
        if crs != "wgs84":
            lat, lng = to_wgs84(lat, lng, crs)
        points.append(
            {
                "t": texts[i] or times[i].astimezone(UTC).isoformat(),
                "lat": round(lat, 7),
                "lng": round(lng, 7),
                "accuracy_m": track.accuracy_m[i],
            }
        )
    return points


def receive_pings(engine: Engine, worker_id: int, track: Track) -> PatrolReceipt:
    """Validates times, converts to WGS84 and enqueues the batch (once per batch_id)."""
    now = datetime.now(UTC)
    check_times(track.t, now)
    batch_id = track.batch_id or uuid.uuid4()
    points = wgs84_points(track)
    pings = envelope(
        "PatrolPingsReceived",
        {"worker_id": worker_id, "batch_id": str(batch_id), "pings": points},
        occurred_at=now,
    )
    last = points[-1]
    position = envelope(
        "WorkerPositionReported",
        {"worker_id": worker_id, "t": last["t"], "lat": last["lat"], "lng": last["lng"]},
        occurred_at=now,
    )
    params = {
        "worker": worker_id,
        "batch": batch_id,
        "count": len(points),
        "key": str(worker_id),
        "pings_id": pings["event_id"],
        "pings_topic": PATROL_PINGS,
        "pings": orjson.dumps(pings).decode(),
        "position_id": position["event_id"],
        "position_topic": PATROL_POSITIONS,
        "position": orjson.dumps(position).decode(),
    }
    stored = retry_on_disconnect(lambda: patrol_batches.write(engine, params))
    if stored is not None:
        return PatrolReceipt(batch_id, stored, duplicate=True)
    return PatrolReceipt(batch_id, len(points), duplicate=False)
