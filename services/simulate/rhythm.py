"""The daily rhythm of the simulated city, speeded up: when grid workers patrol and report, and
how long departments take. Pure: every random draw comes from the `random.Random` passed in.

A simulated day runs `speed` times faster than a real one; it starts at `start` (local time).
Reports follow the hours of field work (most between 09:00 and 11:30 and 14:00 and 17:00, a
trickle at night from the hotline); patrols run during office hours. Departments acknowledge
in minutes and resolve in hours of simulated time (log-normal), and a share of cases is held
past its real due time, so overdue marks appear on the map too.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

# Relative report rate per local hour (0-23); the mean of a day is 1.
_HOURLY = [0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 1.6, 2.4, 2.6, 2.0,
           0.9, 1.2, 2.2, 2.4, 2.1, 1.4, 0.7, 0.5, 0.4, 0.3, 0.2, 0.1]  # fmt: skip
_MEAN = sum(_HOURLY) / 24
HOURLY_WEIGHT = [w / _MEAN for w in _HOURLY]
PATROL_HOURS = ((8.5, 12.0), (13.5, 17.5))


@dataclass(frozen=True)
class SimClock:
    """Maps real time to simulated local time: `start` at `real_start`, `speed` times faster."""

    real_start: datetime
    start: datetime
    speed: float

    def now(self, real_now: datetime) -> datetime:
        """The simulated local time at the real instant `real_now`."""
        return self.start + (real_now - self.real_start) * self.speed

    def real_seconds(self, simulated: timedelta) -> float:
        """How many real seconds a simulated duration takes."""
        return simulated.total_seconds() / self.speed


def hour_of(moment: datetime) -> float:
    return moment.hour + moment.minute / 60


def on_patrol(moment: datetime) -> bool:
    """Whether grid workers are out at simulated time `moment` (office hours)."""
    hour = hour_of(moment)
    return any(start <= hour < end for start, end in PATROL_HOURS)


def report_chance(moment: datetime, reports_per_day: float, workers: int, step: timedelta) -> float:
    """The chance that one worker files a report during a simulated `step` at `moment`."""
    per_worker_per_hour = reports_per_day / max(1, workers) / 24
    rate = per_worker_per_hour * HOURLY_WEIGHT[moment.hour] * step.total_seconds() / 3600
    return min(1.0, rate)


@dataclass(frozen=True)
class Handling:
    """How a department will treat one case: simulated delays, and whether it runs late."""

    acknowledge_after: timedelta
    resolve_after: timedelta
    late: bool


def draw_handling(rng: random.Random, late_share: float = 0.12) -> Handling:
    """Delays for one case: acknowledge ~ 12 min median, resolve ~ 2.5 h median (simulated),
    log-normal; `late_share` of the cases is held past its real due time."""
    ack = timedelta(minutes=12 * math.exp(rng.gauss(0, 0.7)))
    resolve = timedelta(hours=2.5 * math.exp(rng.gauss(0, 0.6)))
    return Handling(ack, resolve, rng.random() < late_share)


def walk(rng: random.Random, lat: float, lng: float, step_m: float = 25.0) -> tuple[float, float]:
    """One step of a patrol: a random move of about `step_m` metres."""
    angle = rng.uniform(0, 2 * math.pi)
    dlat = step_m * math.cos(angle) / 111_320
    dlng = step_m * math.sin(angle) / (111_320 * math.cos(math.radians(lat)))
    return lat + dlat, lng + dlng
