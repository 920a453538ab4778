"""`load_history`: the demo district's last 90 days, written through the same rules as today.

The stories (`services.demo.stories`, from a seed) become reports written set-wise by the
capture store (`report_writes.write_reports`, with their past receipt times), registered by the
router's set-wise handler (`services.cases.batches.register_reports`: routing, duplicate
detection, on-the-spot closure and working-time due dates from the calendar) in slots of a
quarter of an hour, then taken through the loop one command at a time
(`services.demo.journeys`) in the order of their instants across all cases. A unit of work
per day of history; nothing after `now` is done, so the last days' cases are still open.

Their events are history, not news: their outbox rows are marked sent as they are written, so
neither the live feed nor the notifiers relay them (the live pages read the stored cases).
"""

from __future__ import annotations

import heapq
import io
import itertools
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import shapely
from sqlalchemy import Engine

from geo.store import load_current_cells
from services.capture.intake import CaptureReport, report_of
from services.capture.photos import clean_photo
from services.cases.batches import ROUTER, register_reports
from services.cases.commands import RegisterReport
from services.cases.reference import ReferenceCache
from services.cases.uow import UnitOfWork
from services.config import Config
from services.demo.journeys import OPERATOR, WORKER, Demo, Journey
from services.demo.stories import DEFAULT_DAYS, DEFAULT_SEED, Story, draw_stories
from services.locator import Locator
from services.store import accounts, outbox, report_writes
from services.store.cases import rows

SLOT = timedelta(minutes=15)  # the router registers what came in each quarter of an hour
PHRASES = ("影响居民出行", "请尽快处理", "已持续多日", "周边居民反映强烈", "存在安全隐患")


@dataclass(frozen=True)
class HistoryLoaded:
    """What `load_history` wrote: reports, cases by state, steps by kind, seconds taken."""

    reports: int
    states: dict[str, int]
    steps: dict[str, int]
    seconds: float


def load_history(
    engine: Engine, config: Config, *, now: datetime, seed: int = DEFAULT_SEED,
    days: int = DEFAULT_DAYS,
) -> HistoryLoaded | None:  # fmt: skip
    """Writes the demo history of the `days` days up to `now` (see the module text); None,
    writing nothing, when a case older than a day exists (loaded before, or a district with a
    past of its own). Needs the demo grid, departments and accounts."""
    started = time.monotonic()
    with engine.connect() as conn:
        if rows.any_case_before(conn, now - timedelta(days=1)):
            return None
        cells = load_current_cells(conn)
        worker_id = accounts.account_id(conn, WORKER)
    if worker_id is None or len(cells.codes) == 0:
        raise RuntimeError("the demo history needs the demo grid and the demo accounts")
    stories = draw_stories(seed, now=now, cells=len(cells.codes), days=days)
    written = _write_reports(engine, stories, cells, random.Random(seed))
    reference = ReferenceCache(config)
    with engine.connect() as conn:
        calendars = reference.current(conn).calendars
    queue: list[tuple[datetime, int, Callable]] = []
    order = itertools.count()

    def schedule(at: datetime, step: Callable[[UnitOfWork, datetime], None]) -> None:
        if at <= now:  # what comes later has not happened yet
            heapq.heappush(queue, (at, next(order), step))

    demo = Demo(
        reference=reference, calendars=calendars, media_dir=config.media_dir,
        verify_limit=timedelta(minutes=config.verify_limit_minutes),
        revisit_hours=config.revisit_working_hours, worker_id=worker_id, photo=_photo(),
        schedule=schedule,
    )  # fmt: skip
    for slot, batch in _slots(stories, written, now).items():
        schedule(slot, _registration(demo, batch))
    while queue:  # a unit of work per day of history, its steps in the order of their instants
        day = queue[0][0].date()
        with UnitOfWork(engine, actor=OPERATOR) as uow:
            while queue and queue[0][0].date() == day:
                at, _, step = heapq.heappop(queue)
                step(uow, at)
            outbox.mark_sent(uow.conn, [e["event_id"] for e in uow.recorded])
            uow.commit()
    with engine.connect() as conn:
        states = rows.count_by_state(conn, [w.case_id for w in written.values() if w.case_id])
    return HistoryLoaded(len(written), states, dict(sorted(demo.counts.items())),
                         round(time.monotonic() - started, 1))  # fmt: skip


@dataclass
class _Written:
    story: Story
    command: RegisterReport
    case_id: uuid.UUID | None = None


def _write_reports(engine: Engine, stories: list[Story], cells, rng: random.Random) -> dict:
    """Places each story in its cell (a point drawn inside it; a repeat a few metres from the
    report it repeats), writes the reports in batches and marks their events sent; returns
    the router's command of each story by its index."""
    locator = Locator(engine)
    names = cells.jurisdiction_names
    points: dict[int, tuple[float, float]] = {}
    made: list[tuple[Story, report_writes.NewReport]] = []
    for story in stories:
        if story.duplicate_of is not None and story.duplicate_of in points:
            lat, lng = points[story.duplicate_of]
            lat, lng = lat + 0.00003, lng + 0.00002
        else:
            lat, lng = _inside(cells.geoms[story.cell], rng)
        points[story.n] = (lat, lng)
        code = cells.codes[story.cell]
        place = names.get(code[:12]) or names.get(code[:9]) or ""
        cmd = CaptureReport(
            id=uuid.UUID(int=rng.getrandbits(128), version=4), channel=story.channel,
            category_code=story.category_code, description=f"{place}{rng.choice(PHRASES)}",
            lat=lat, lng=lng, crs="wgs84", accuracy_m=5.0,
            occurred_at=story.received_at - timedelta(minutes=5), canonical={"n": story.n},
            handled_on_spot=story.handled_on_spot, address=f"{place}{cells.names[story.cell]}",
            reporter_contact={"name": "市民", "phone": f"1380000{story.n % 10000:04d}"}
            if story.channel == "hotline" else {},
        )  # fmt: skip
        made.append((story, report_of(cmd, locator.locate(lat, lng, "wgs84", 5.0),
                                      story.received_at)))  # fmt: skip
    written: dict[int, _Written] = {}
    for start in range(0, len(made), 1000):
        batch = made[start : start + 1000]
        results = report_writes.write_reports(engine, [r for _, r in batch])
        with engine.begin() as conn:
            outbox.mark_sent(conn, [r.event["event_id"] for _, r in batch])
        for (story, report), result in zip(batch, results, strict=True):
            payload = {**report.event["envelope"]["payload"], "case_no": result.case_no}
            command = RegisterReport.from_payload(uuid.UUID(report.event["event_id"]), payload)
            written[story.n] = _Written(story, command)
    return written


def _inside(polygon, rng: random.Random) -> tuple[float, float]:
    """A point drawn inside the polygon (lat, lng); its representative point after 50 misses."""
    west, south, east, north = polygon.bounds
    for _ in range(50):
        lng, lat = west + (east - west) * rng.random(), south + (north - south) * rng.random()
        if shapely.contains_xy(polygon, lng, lat):
            return lat, lng
    point = polygon.representative_point()
    return point.y, point.x


def _slots(stories: list[Story], written: dict, now: datetime) -> dict[datetime, list]:
    """The router's registration instants (the end of each report's quarter hour, at most
    `now`) and the reports registered then."""
    slots: dict[datetime, list] = {}
    for story in stories:
        received = story.received_at
        end = received - timedelta(seconds=received.timestamp() % SLOT.total_seconds()) + SLOT
        slots.setdefault(min(end, now), []).append(written[story.n])
    return slots


def _registration(demo: Demo, batch: list[_Written]) -> Callable:
    """The router's registration of a slot's reports; each case dispatched sets out on its
    journey."""

    def register(uow: UnitOfWork, at: datetime) -> None:
        done = register_reports(uow, [w.command for w in batch], reference=demo.reference,
                                clock=lambda: at, consumer=ROUTER)  # fmt: skip
        by_report = {w.command.report_id: w for w in batch}
        dispatched = {}
        for cmd, outcome in done.outcomes:
            entry = by_report[cmd.report_id]
            entry.case_id = outcome.case_id
            if outcome.applied and outcome.state == "dispatched":
                dispatched[outcome.case_id] = entry.story
        loaded = rows.load_cases(uow.conn, dispatched)
        for case_id, story in dispatched.items():
            Journey(demo, story, loaded[case_id]).dispatched(uow, at)
        for cmd, error in done.rejected:
            raise RuntimeError(f"the demo history's report {cmd.report_id} was refused: {error}")

    return register


def _photo():
    """The photo a failed check is sent with: a small generated JPEG, cleaned as uploads are."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (120, 110, 90))
    ImageDraw.Draw(image).rectangle((60, 60, 260, 180), outline=(230, 60, 40), width=5)
    data = io.BytesIO()
    image.save(data, "JPEG", quality=80)
    return clean_photo(data.getvalue(), "image/jpeg", "photo")
