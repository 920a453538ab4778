"""Patrol tracks: which of a worker's points of a day count, and what they add up to.

A worker-day's points, ordered by device time, are read as a walk. A point is *flagged* (kept,
shown, never counted) when its accuracy is worse than `MAX_ACCURACY_M`, or when reaching it from
the last counted point would take more than `MAX_SPEED_KMH`. A new *segment* starts when more
than `MAX_GAP` passed since the last counted point. Time on patrol is the time between
consecutive counted points of a segment; time inside own cells the part of it whose both ends
lie inside the worker's cells. The figures are a pure function of the set of points: the same
points, in any arrival order and any number of times, give the same figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_GAP = timedelta(minutes=5)
MAX_SPEED_KMH = 40.0
MAX_ACCURACY_M = 50.0
EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Ping:
    """One stored point of a worker-day (WGS84); `own` when it lies inside the worker's cells."""

    t: datetime
    lat: float
    lng: float
    accuracy_m: float | None
    own: bool = False


def ground_distance_m(a: Ping, b: Ping) -> float:
    """Great-circle distance between two points (metres, mean Earth radius): precise enough to
    judge a speed; the distance walked is measured on the ellipsoid by the store."""
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    dphi, dlmb = phi2 - phi1, math.radians(b.lng - a.lng)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def implausible(last: Ping, ping: Ping) -> bool:
    """Whether walking from `last` to `ping` needs more than MAX_SPEED_KMH (any move at all in
    no time counts as implausible)."""
    dt = (ping.t - last.t).total_seconds()
    metres = ground_distance_m(last, ping)
    if dt <= 0:
        return metres > 0
    return metres / dt * 3.6 > MAX_SPEED_KMH


@dataclass(frozen=True)
class WalkState:
    """Where a worker-day's walk stands after its points so far: the last counted point and
    how many counted points its open segment holds (a new point within MAX_GAP joins it)."""

    last: Ping | None = None
    open_points: int = 0


@dataclass(frozen=True)
class Stretch:
    """A walk continued from a `WalkState` over later points: each new point's flag, the new
    counted pieces (each (coordinates, extends): `extends` when the piece continues a segment
    already kept, its first coordinate that segment's last), the added times and the state
    after the stretch. A piece has two coordinates or more."""

    flags: list[bool]
    pieces: list[tuple[list[tuple[float, float]], bool]]
    patrol_s: float
    own_cells_s: float
    state: WalkState

    @property
    def new_segments(self) -> int:
        return sum(1 for _, extends in self.pieces if not extends)


def walk_on(state: WalkState, pings: Sequence[Ping], patrol_s: float = 0.0,
            own_cells_s: float = 0.0) -> Stretch:  # fmt: skip
    """Continues a walk from `state` over `pings` (ordered by time, all later than any point
    walked so far); `patrol_s` and `own_cells_s` are the times so far, added to in the same
    order as a walk of the whole day would. Walking a day in stretches gives the same flags,
    segments and times as walking it at once: the processor folds each new batch this way."""
    flags: list[bool] = []
    pieces: list[tuple[list[tuple[float, float]], bool]] = []
    last = state.last
    current = [(last.lng, last.lat)] if last is not None else []
    extends, open_points = state.open_points >= 2, state.open_points
    for ping in pings:
        bad_fix = ping.accuracy_m is not None and ping.accuracy_m > MAX_ACCURACY_M
        gap = last is None or ping.t - last.t > MAX_GAP
        if bad_fix or (not gap and last is not None and implausible(last, ping)):
            flags.append(True)
            continue
        flags.append(False)
        if gap:
            if len(current) > 1:
                pieces.append((current, extends))
            current, extends, open_points = [], False, 0
        elif last is not None:
            dt = (ping.t - last.t).total_seconds()
            patrol_s += dt
            if last.own and ping.own:
                own_cells_s += dt
        current.append((ping.lng, ping.lat))
        open_points += 1
        last = ping
    if len(current) > 1:
        pieces.append((current, extends))
    return Stretch(flags, pieces, patrol_s, own_cells_s, WalkState(last, open_points))


@dataclass(frozen=True)
class WalkedDay:
    """A worker-day read as a walk: each point's flag (in time order), the counted segments
    (each a list of (lng, lat), two points or more), and the times in seconds."""

    flags: list[bool]
    segments: list[list[tuple[float, float]]]
    patrol_s: float
    own_cells_s: float
    state: WalkState

    @property
    def flagged(self) -> int:
        return sum(self.flags)


def walk(pings: list[Ping]) -> WalkedDay:
    """Reads a worker-day's points (ordered by time, no two at one time) as a walk; called by
    the patrol processor when a day's points are walked again from the start. Guarantees:
    flagged points are in no segment and add no time; segments are split at gaps above
    MAX_GAP."""
    stretch = walk_on(WalkState(), pings)
    segments = [coords for coords, _ in stretch.pieces]
    return WalkedDay(stretch.flags, segments, stretch.patrol_s, stretch.own_cells_s,
                     stretch.state)  # fmt: skip


def multilinestring_wkt(segments: list[list[tuple[float, float]]]) -> str | None:
    """The segments as WKT (None when there is none)."""
    if not segments:
        return None
    parts = ("(" + ",".join(f"{x!r} {y!r}" for x, y in seg) + ")" for seg in segments)
    return "MULTILINESTRING(" + ",".join(parts) + ")"
