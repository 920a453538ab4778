"""The demo district's past, drawn from a seed: which reports came in over the last days (when,
through which channel, of which category, in which cell) and the path each case is to take
through the closed loop — closed on time, late, with an extension, returned and re-dispatched,
reworked after a failed check, merged as a duplicate, handled on the spot — with the draws that
time its steps, its rating and whether an operator pressed its department.

Pure: the same seed, `now` and cell count give the same stories. Nothing here decides what a
step does to a case; `services.demo.journeys` sends the commands and the domain decides.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_SEED = 2024
DEFAULT_DAYS = 90
PER_DAY = 12  # reports on an ordinary working day (fewer at weekends)
PATHS = (
    ("on_time", 52), ("late", 12), ("extended", 6), ("returned", 6), ("reworked", 6),
    ("merged", 6), ("on_spot", 12),
)  # fmt: skip
# What grid workers find on patrol, and what residents call the hotline about (weights).
GRID_CATEGORIES = (
    ("201001", 14), ("205004", 10), ("201002", 8), ("205005", 6), ("201004", 6),
    ("202001", 6), ("101006", 6), ("103001", 5), ("205001", 5), ("102001", 5), ("104001", 4),
    ("206001", 4), ("201003", 4), ("203003", 3), ("102002", 3), ("101002", 2),
)  # fmt: skip
HOTLINE_CATEGORIES = (
    ("203002", 6), ("205004", 5), ("101006", 4), ("206004", 4), ("201001", 4), ("206003", 3),
    ("204002", 3), ("201007", 3),
)  # fmt: skip
# Calls of the night so far (around-the-clock categories): today is never empty.
NIGHT_CATEGORIES = ("204002", "203002", "201007", "102003")
NIGHT_CALLS = 3
RATINGS = (("satisfied", 70), ("basically_satisfied", 24), ("dissatisfied", 6))
HOT_SHARE = 0.08  # busy cells (markets, school gates): eight times as many reports
DRAWS = 8


@dataclass(frozen=True)
class Story:
    """One report of the past and the path its case is to take. `draws` are uniform numbers
    in [0, 1) that time its steps; `duplicate_of` (a merged story) is the index of the story
    it repeats, at the same place a little later; `rating` is given once it is closed (None:
    not rated); `pressed` is "urge" or "supervise" while a department holds it, or None."""

    n: int
    received_at: datetime
    channel: str
    category_code: str
    cell: int
    path: str
    draws: tuple[float, ...]
    rating: str | None = None
    pressed: str | None = None
    duplicate_of: int | None = None

    @property
    def handled_on_spot(self) -> bool:
        return self.path == "on_spot"


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def _moment(rng: random.Random, day: date, channel: str, zone: ZoneInfo) -> datetime:
    """When a report of `channel` came in on `day`: patrols in office hours, calls from 07:00
    to 22:00."""
    start, hours = (time(8, 30), 9.0) if channel == "grid" else (time(7, 0), 15.0)
    first = datetime.combine(day, start, tzinfo=zone)
    return first + timedelta(seconds=int(rng.random() * hours * 3600))


def draw_stories(
    seed: int, *, now: datetime, cells: int, days: int = DEFAULT_DAYS, zone: str = "Asia/Shanghai"
) -> list[Story]:
    """The reports of the `days` days up to `now` (local days in `zone`), oldest first, over
    `cells` cells (by index); nothing after `now`. A merged story follows the story it
    repeats by 20–90 minutes; a few calls of around-the-clock categories come in between
    local midnight and `now`, so the day so far has reports."""
    rng = random.Random(seed)
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    hot = [i for i in range(cells) if rng.random() < HOT_SHARE] or [0]
    busy = set(hot)
    weights = [8 if i in busy else 1 for i in range(cells)]
    drafts: list[dict] = []
    for back in range(days - 1, -1, -1):
        day = today - timedelta(days=back)
        count = round(PER_DAY * (0.6 if day.weekday() >= 5 else 1.0) * (0.8 + 0.4 * rng.random()))
        for _ in range(count):
            channel = "grid" if rng.random() < 0.75 else "hotline"
            categories = GRID_CATEGORIES if channel == "grid" else HOTLINE_CATEGORIES
            path = _pick(rng, PATHS)
            if path == "on_spot" and channel != "grid":
                path = "on_time"  # only a grid worker fixes a thing on the spot
            drafts.append({
                "received_at": _moment(rng, day, channel, tz), "channel": channel,
                "category_code": _pick(rng, categories), "path": path,
                "cell": rng.choices(range(cells), weights)[0],
            })  # fmt: skip
    midnight = datetime.combine(today, time(0, 0), tzinfo=tz)
    for k in range(NIGHT_CALLS):
        drafts.append({
            "received_at": midnight + (now - midnight) * (k + 1) / (NIGHT_CALLS + 1),
            "channel": "hotline", "category_code": NIGHT_CATEGORIES[k % len(NIGHT_CATEGORIES)],
            "path": "on_time", "cell": rng.choice(hot),
        })  # fmt: skip
    drafts = sorted((d for d in drafts if d["received_at"] < now), key=lambda d: d["received_at"])
    stories = []
    for n, d in enumerate(drafts):
        stories.append(Story(
            n=n, draws=tuple(rng.random() for _ in range(DRAWS)),
            rating=_pick(rng, RATINGS) if rng.random() < 0.6 else None,
            pressed=rng.choice(("urge", "supervise")) if rng.random() < 0.15 else None, **d,
        ))  # fmt: skip
    return _with_duplicates(stories, rng, now)


def _with_duplicates(stories: list[Story], rng: random.Random, now: datetime) -> list[Story]:
    """Each merged story becomes a second report of an earlier story's problem (same category
    and cell, 20–90 minutes later); one without an earlier story to repeat goes on time."""
    out: list[Story] = []
    for story in stories:
        if story.path != "merged":
            out.append(story)
            continue
        earlier = [s for s in out if s.path not in ("merged", "on_spot")]
        if not earlier:
            out.append(Story(**{**story.__dict__, "path": "on_time"}))
            continue
        target = earlier[-1 - int(rng.random() * min(5, len(earlier)))]
        at = target.received_at + timedelta(minutes=20 + 70 * story.draws[0])
        fields = {**story.__dict__, "received_at": min(at, now - timedelta(seconds=1)),
                  "category_code": target.category_code, "cell": target.cell,
                  "duplicate_of": target.n, "rating": None, "pressed": None}  # fmt: skip
        out.append(Story(**fields))
    out.sort(key=lambda s: (s.received_at, s.n))
    return out
