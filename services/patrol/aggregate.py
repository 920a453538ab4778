"""Folds batches of patrol pings into the worker-day figures and the cell-day coverage.

Called by `gridflow patrol` with the payloads of a poll's `PatrolPingsReceived` events, in one
transaction per call. Why a retry or a replay changes nothing: a raw point is stored once per
(worker, day, device time) — a point seen before is skipped by the insert — and every figure of
a worker-day (flags, segments, distance, times, track) and of a cell-day (coverage) is computed
again from the stored points and tracks, never added to. The same set of points gives the same
figures whatever the order or the number of deliveries; a call that stores no new point
changes nothing at all. Late points (a phone offline for hours) land on their own day, whose
figures alone are computed again.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from services.config import Config
from services.domain.patrol import Ping, multilinestring_wkt, walk
from services.store.patrol import coverage, days, points

Row = tuple[int, date, datetime, float, float, float | None]


class BadBatch(ValueError):
    """A payload that is not a batch of pings; the caller dead-letters its event."""


@dataclass(frozen=True)
class Folded:
    """What one call changed: the worker-days computed again and each cell-day's coverage."""

    worker_days: list[tuple[int, date]] = field(default_factory=list)
    cells: list[Any] = field(default_factory=list)


def points_of(payload: Mapping[str, Any], zone: ZoneInfo) -> list[Row]:
    """The rows of one event's payload ({worker_id, pings: [{t, lat, lng, accuracy_m}]});
    raises BadBatch naming what is wrong."""
    worker = payload.get("worker_id")
    pings = payload.get("pings")
    if type(worker) is not int or not isinstance(pings, list):
        raise BadBatch("payload needs an integer worker_id and a list of pings")
    rows = []
    for i, ping in enumerate(pings):
        try:
            t = datetime.fromisoformat(ping["t"])
            lat, lng = float(ping["lat"]), float(ping["lng"])
            accuracy = ping.get("accuracy_m")
            accuracy = None if accuracy is None else float(accuracy)
        except (TypeError, KeyError, ValueError) as exc:
            raise BadBatch(f"pings[{i}] is not a point: {exc}") from exc
        if t.tzinfo is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise BadBatch(f"pings[{i}] has no time zone or is off the globe")
        rows.append((worker, t.astimezone(zone).date(), t.astimezone(UTC), lat, lng, accuracy))
    return rows


class Aggregator:
    """Applies batches of pings to the database (see the module text); one per process."""

    def __init__(self, engine: Engine, config: Config) -> None:
        self.engine = engine
        self.reach_m = config.patrol_reach_m
        self.keep_days = config.patrol_keep_days
        self.zone = ZoneInfo(config.timezone)
        self._partitions: set[date] = set()
        self._lock = threading.Lock()

    def oldest_kept(self) -> date:
        """The first day whose raw points are still kept; older points are not applied."""
        return datetime.now(self.zone).date() - timedelta(days=self.keep_days - 1)

    def apply(self, rows: Sequence[Row]) -> Folded:
        """Stores the points and computes again what they change, in one transaction."""
        oldest = self.oldest_kept()
        # In key order: two writers of one worker's points never wait for each other crosswise.
        rows = sorted((r for r in rows if r[1] >= oldest), key=lambda r: (r[0], r[1], r[2]))
        if not rows:
            return Folded()
        self._ensure_partitions({r[1] for r in rows})
        with self.engine.begin() as conn:
            changed = points.insert_points(conn, rows)
            if not changed:
                return Folded()
            keys = sorted(changed)
            points.lock(conn, (f"patrol-day:{w}:{d}" for w, d in keys))
            near = days.cells_near(conn, keys, self.reach_m)
            figures, flags = [], []
            for (worker, day), stored in points.day_points(conn, keys).items():
                walked = walk([Ping(p.at, p.lat, p.lng, p.accuracy_m, p.own) for p in stored])
                flags += [(worker, day, p.at, f) for p, f in zip(stored, walked.flags, strict=True)
                          if p.flagged != f]  # fmt: skip
                figures.append(
                    days.DayFigures(
                        worker, day, stored[0].at, stored[-1].at, len(stored), walked.flagged,
                        len(walked.segments), walked.patrol_s, walked.own_cells_s,
                        multilinestring_wkt(walked.segments),
                    )
                )  # fmt: skip
            points.set_flags(conn, flags)
            days.save_days(conn, figures)
            near |= days.cells_near(conn, keys, self.reach_m)
            points.lock(conn, (f"patrol-cell:{code}:{day}" for code, day in near))
            cells = coverage.recompute(conn, near, self.reach_m)
        return Folded(keys, cells)

    def _ensure_partitions(self, wanted: set[date]) -> None:
        with self._lock:
            missing = wanted - self._partitions
            for day in sorted(missing):
                with self.engine.begin() as conn:
                    points.ensure_partition(conn, day)
                self._partitions.add(day)
