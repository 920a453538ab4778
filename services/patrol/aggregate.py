"""Folds batches of patrol pings into the worker-day figures and the cell-day coverage.

Called by `gridflow patrol` with the payloads of a poll's `PatrolPingsReceived` events, in one
transaction per call, under the locks of the worker-days and then of the cell-days it changes.
Incremental: a worker-day's points later than its last stored point are new for sure; they
are walked on from the day's stored walk state (`domain.patrol.walk_on`, which gives what a
walk of the whole day gives), their pieces of track appended, their distance and times added,
and the pieces' buffers merged into the covered parts of the cells within reach. A point at or
before the day's last stored point is inserted only if new (a point is stored once per
worker, day and device time); a new one (late, out of order: it may split a stretch already
walked and take back coverage) walks the whole day again from its stored points, and the cells
near its old and new track are measured again whole from the stored tracks. So a retry or a
replay from offset 0 stores nothing and changes nothing; late points (a phone offline for
hours) land on their own day, whose figures alone change.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine

from services.config import Config
from services.domain.patrol import Ping, Stretch, WalkState, multilinestring_wkt, walk_on
from services.patrol import tracks
from services.store.patrol import coverage, days, points

Row = tuple[int, date, datetime, float, float, float | None]
WorkerDay = tuple[int, date]


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
        """Stores the points and folds in what they change, in one transaction."""
        oldest = self.oldest_kept()
        # In key order: two writers of one worker's points never wait for each other crosswise.
        rows = sorted((r for r in rows if r[1] >= oldest), key=lambda r: (r[0], r[1], r[2]))
        rows = [r for i, r in enumerate(rows) if i == 0 or r[:3] != rows[i - 1][:3]]
        if not rows:
            return Folded()
        self._ensure_partitions({r[1] for r in rows})
        with self.engine.begin() as conn:
            keys = sorted({(r[0], r[1]) for r in rows})
            points.lock(conn, (f"patrol-day:{w}:{d}" for w, d in keys))
            stored = days.states(conn, keys)
            later, earlier = _split(rows, stored)
            owned = days.own_cells(conn, sorted({w for w, _ in later}))
            walked = {key: _walk_on(stored.get(key), found, owned.get(key[0]))
                      for key, found in later.items()}  # fmt: skip
            points.insert_walked(conn, [r for key in walked for r in later[key]],
                                 [f for _, flags in walked.values() for f in flags])  # fmt: skip
            # Points at or before a day's last stored point: new ones change walked stretches.
            whole = points.insert_points(conn, [r for found in earlier.values() for r in found])
            whole |= {k for k in walked if k in stored and stored[k].open_points is None}
            near = days.cells_near(conn, sorted(whole), self.reach_m)
            figures = [figure for key, (figure, _) in walked.items() if key not in whole]
            figures += self._walk_again(conn, sorted(whole))
            days.save_days(conn, figures)
            near |= days.cells_near(conn, sorted(whole), self.reach_m)
            stretches = [(f.worker_id, f.day, f.stretch) for f in figures
                         if f.stretch and (f.worker_id, f.day) not in whole]  # fmt: skip
            merged = coverage.near_stretches(conn, stretches, near, self.reach_m)
            points.lock(conn, (f"patrol-cell:{code}:{day}" for code, day in near | set(merged)))
            cells, stale = coverage.merge(conn, merged, self.reach_m)
            cells += coverage.recompute(conn, near | stale, self.reach_m)
        return Folded(sorted(set(walked) | whole), cells)

    def _walk_again(self, conn: Connection, keys: list[WorkerDay]) -> list[Figure]:
        """Walks these worker-days again from their first stored point (flags set anew)."""
        figures, flags = [], []
        for (worker, day), stored in points.day_points(conn, keys).items():
            pings = [Ping(p.at, p.lat, p.lng, p.accuracy_m, p.own) for p in stored]
            stretch = walk_on(WalkState(), pings)
            flags += [(worker, day, p.at, f) for p, f in zip(stored, stretch.flags, strict=True)
                      if p.flagged != f]  # fmt: skip
            figures.append(_figure(worker, day, None, stretch, stored[0].at, stored[-1].at,
                                   len(stored)))  # fmt: skip
        points.set_flags(conn, flags)
        return figures

    def _ensure_partitions(self, wanted: set[date]) -> None:
        with self._lock:
            missing = wanted - self._partitions
            for day in sorted(missing):
                with self.engine.begin() as conn:
                    points.ensure_partition(conn, day)
                self._partitions.add(day)


@dataclass(frozen=True)
class Figure(days.DayFigures):
    """A worker-day's figures with the stretch of track it added (WKB, for the coverage)."""

    stretch: bytes | None = None


def _split(rows: list[Row], stored: dict[WorkerDay, Any]) -> tuple[dict, dict]:
    """Each worker-day's points later than its last stored point (new for sure, walked on),
    and the others (stored already, or late: stored only if new)."""
    later: dict[WorkerDay, list[Row]] = {}
    earlier: dict[WorkerDay, list[Row]] = {}
    for row in rows:
        key = (row[0], row[1])
        state = stored.get(key)
        side = later if state is None or row[2] > state.last_at else earlier
        side.setdefault(key, []).append(row)
    return later, earlier


def _state(row: Any) -> WalkState:
    if row is None or row.last_counted_at is None:
        return WalkState()
    last = Ping(row.last_counted_at, row.last_lat, row.last_lng, None, bool(row.last_own))
    return WalkState(last, row.open_points or 0)


def _walk_on(row: Any, found: list[Row], cells: bytes | None) -> tuple[Figure, list[bool]]:
    """A worker-day's stored state walked on over its new later points: its figures (with
    the stretch of track added) and the new points' flags."""
    own = tracks.inside(cells, [r[3] for r in found], [r[4] for r in found])
    pings = [Ping(r[2], r[3], r[4], r[5], o) for r, o in zip(found, own, strict=True)]
    before = row if row is not None and row.open_points is not None else None
    stretch = walk_on(_state(before), pings, *(
        (before.patrol_s, before.own_cells_s) if before is not None else (0.0, 0.0)))  # fmt: skip
    first = before.first_at if before is not None else found[0][2]
    points_so_far = before.points if before is not None else 0
    return _figure(found[0][0], found[0][1], before, stretch, first, found[-1][2],
                   points_so_far + len(found)), stretch.flags  # fmt: skip


def _figure(worker: int, day: date, before: Any, stretch: Stretch, first_at: datetime,
            last_at: datetime, count: int) -> Figure:  # fmt: skip
    """The figures of a worker-day walked on from `before` (None: from its first point)."""
    track, added = tracks.appended(None if before is None else before.track, stretch.pieces)
    last = stretch.state.last
    return Figure(
        worker, day, first_at, last_at, count,
        (before.flagged if before is not None else 0) + sum(stretch.flags),
        (before.segments if before is not None else 0) + stretch.new_segments,
        stretch.patrol_s, stretch.own_cells_s,
        multilinestring_wkt([coords for coords, _ in stretch.pieces]),
        last.t if last else None, last.lat if last else None, last.lng if last else None,
        last.own if last else None, stretch.state.open_points,
        before.distance_m if before is not None else 0.0, track, added,
    )  # fmt: skip
