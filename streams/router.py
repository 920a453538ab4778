"""The router (`gridflow router`): turns every captured report into a case.

The processor works on the ReportCaptured events of a poll, set-wise: it builds a
`RegisterReport` command per event and calls `register_reports` for the batch in one unit of
work, or, with lanes (`GRIDFLOW_ROUTER_LANES`), in one per group of whole categories applied
side by side (in each, cases, case events, outbox rows and the processed-event records commit
together, so a replay from offset 0 creates nothing twice), with a constant number of
statements per unit of work and the reference data (catalog, rules, departments, calendars)
kept in memory while it is unchanged. Events it can never apply — another type, a newer
schema, a malformed payload, an unknown report or category — are refused and go to the
dead-letter topic while the rest of the batch is applied. Any number of routers may run in
one consumer group.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar, cast

from sqlalchemy import Engine

from services.calendars import Calendars
from services.cases.batches import ROUTER, BatchOutcome, register_reports
from services.cases.commands import CaseOutcome, RegisterReport
from services.cases.errors import CaseError
from services.cases.reference import ReferenceCache
from services.cases.uow import UnitOfWork
from services.config import Config
from services.envelopes import REPORTS, SCHEMA_VERSION
from services.store.db import make_engine
from streams.consumed import BatchProcessor, Event, Processor, Rejected
from streams.kafka import make_consumer, make_producer
from streams.loop import ConsumeLoop
from streams.topics import wait_for_topics

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
T = TypeVar("T")
R = TypeVar("R")


def system_clock() -> datetime:
    return datetime.now(UTC)


def make_router(
    engine: Engine, reference: ReferenceCache | Calendars, clock: Clock = system_clock
) -> Processor:
    """The router's processor for one ReportCaptured event (the batch processor with a batch
    of one); raises `Rejected` for an event it can never apply. `reference` is the router's
    reference cache, or fixed calendars (then the overrides stored are not read); `clock`
    gives the registration/dispatch instant."""
    route_reports = make_batch_router(engine, reference, clock)

    def route_report(event: Event) -> None:
        for _, reason in route_reports([event]):
            raise Rejected(reason)

    return route_report


# Below this many reports per lane a batch's lanes cost more (each unit of work's fixed
# statements, a commit, a thread) than applying them side by side saves.
MIN_REPORTS_PER_LANE = 50


def make_batch_router(
    engine: Engine,
    reference: ReferenceCache | Calendars,
    clock: Clock = system_clock,
    *,
    lanes: int = 1,
    min_per_lane: int = MIN_REPORTS_PER_LANE,
) -> BatchProcessor:
    """The router's batch processor: the cases of several ReportCaptured events in units of
    work of their own (one commit each); returns the events refused (with the reason), of
    which nothing was applied. Reports are taken category by category (each category's in
    arrival order), as the one-by-one processing would; routers running side by side take the
    per-category locks in one order and never deadlock.

    With `lanes` > 1 the categories of a batch are shared among up to that many units of work
    applied side by side (on connections of their own), one for every `min_per_lane` reports
    (a small batch, as polls are when reports trickle in, stays one unit of work: each costs
    its fixed statements and a commit). Each category's reports are all in
    one of them, so the per-category order and duplicate search are those of one transaction,
    and units of work that share no category never wait for each other. The call returns once
    every one has committed; if any fails it raises (the others' commits stand: a replay of
    their events changes nothing)."""
    if isinstance(reference, Calendars):
        reference = ReferenceCache(calendars=reference)
    cache = reference

    def register(taken: list[tuple[RegisterReport, Event]]) -> BatchOutcome:
        with UnitOfWork(engine) as uow:
            done = register_reports(
                uow, [command for command, _ in taken], reference=cache, clock=clock
            )
            uow.commit()
        return done

    def route_reports(events: list[Event]) -> list[tuple[Event, str]]:
        refused: list[tuple[Event, str]] = []
        taken: list[tuple[RegisterReport, Event]] = []
        for event in events:
            try:
                taken.append((_command(event), event))
            except Rejected as exc:
                refused.append((event, str(exc)))
        taken.sort(key=lambda pair: pair[0].category_code)
        event_of = {id(command): event for command, event in taken}
        applied: list[tuple[RegisterReport, CaseOutcome]] = []
        for done in _side_by_side(register, _share(taken, min(lanes, len(taken) // min_per_lane))):
            refused.extend((event_of[id(command)], str(exc)) for command, exc in done.rejected)
            applied.extend(pair for pair in done.outcomes if pair[1].applied)
        _log(applied)
        position = {id(event): i for i, event in enumerate(events)}
        return sorted(refused, key=lambda pair: position[id(pair[0])])  # in offset order

    return route_reports


def _share(
    taken: list[tuple[RegisterReport, Event]], lanes: int
) -> list[list[tuple[RegisterReport, Event]]]:
    """The commands (sorted by category) in up to `lanes` groups of whole categories, about
    even in size (the largest category first, to the smallest group); each group keeps the
    category order, and each category its arrival order."""
    if lanes <= 1 or not taken:
        return [taken]
    by_category: dict[str, list[tuple[RegisterReport, Event]]] = {}
    for pair in taken:
        by_category.setdefault(pair[0].category_code, []).append(pair)
    groups: list[list[str]] = [[] for _ in range(min(lanes, len(by_category)))]
    sizes = [0] * len(groups)
    for code in sorted(by_category, key=lambda c: (-len(by_category[c]), c)):
        smallest = sizes.index(min(sizes))
        groups[smallest].append(code)
        sizes[smallest] += len(by_category[code])
    return [[pair for code in sorted(group) for pair in by_category[code]] for group in groups]


def _side_by_side(apply: Callable[[list[T]], R], groups: list[list[T]]) -> list[R]:
    """`apply` over each group, the first in this thread and the others in threads of their
    own; raises the first failure once all are done."""
    results: list[R | None] = [None] * len(groups)
    failures: list[BaseException | None] = [None] * len(groups)

    def one(i: int) -> None:
        try:
            results[i] = apply(groups[i])
        except BaseException as exc:  # noqa: BLE001 - raised below, in the caller's thread
            failures[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(1, len(groups))]
    for thread in threads:
        thread.start()
    one(0)
    for thread in threads:
        thread.join()
    for failure in failures:
        if failure is not None:
            raise failure
    return cast(list[R], results)


def _command(event: Event) -> RegisterReport:
    if event.type != "ReportCaptured":
        raise Rejected(f"the router does not handle {event.type!r} events")
    if event.schema_version > SCHEMA_VERSION:
        raise Rejected(f"schema_version {event.schema_version} is newer than this router")
    try:
        return RegisterReport.from_payload(event.event_id, event.payload)
    except CaseError as exc:
        raise Rejected(str(exc)) from exc


def _log(applied: list[tuple[RegisterReport, CaseOutcome]]) -> None:
    """A line per case the batch created, naming its report, state and department; written by
    one log call (a call per case cost more than the case's own Python work at thousands a
    second)."""
    if applied:
        log.info("%d cases", len(applied), extra={"each": [
            {"msg": f"case {outcome.case_id} of report {command.report_id}: {outcome.state}"
                    + (f" → {outcome.department_code}" if outcome.department_code else ""),
             "case_id": outcome.case_id, "report_id": command.report_id}
            for command, outcome in applied
        ]})  # fmt: skip


def run_router(
    config: Config,
    stop: threading.Event,
    *,
    clock: Clock = system_clock,
    group: str = ROUTER,
    on_loop: Callable[[ConsumeLoop], None] | None = None,
) -> None:
    """Runs one router until `stop` is set: topics first, then the consume loop.

    `group` is the Kafka consumer group; a new group starts at offset 0, which replays the
    whole topic (harmless: applied events are recorded and skipped)."""
    if not wait_for_topics(config, stop):
        return
    engine = make_engine(config.database_url, pool_size=max(2, config.router_lanes))
    consumer = make_consumer(
        config, [REPORTS], group=group, client_id="gridflow-router",
        max_poll_records=max(200, config.router_batch_size),
        fetch_wait_ms=config.router_fetch_wait_ms,
    )  # fmt: skip
    producer = make_producer(config, client_id="gridflow-router")
    # Catalog, rules, departments and the calendar with the admin's overrides, re-read when
    # any of them changes.
    reference = ReferenceCache(config)
    try:
        loop = ConsumeLoop(
            config,
            name=ROUTER,
            consumer=consumer,
            producer=producer,
            processor=make_router(engine, reference, clock),
            stop=stop,
            batch_processor=make_batch_router(engine, reference, clock, lanes=config.router_lanes),
            batch_size=config.router_batch_size,
        )
        if on_loop is not None:
            on_loop(loop)
        loop.run()
    finally:
        consumer.close(autocommit=False)
        producer.close(timeout=5)
        engine.dispose()
