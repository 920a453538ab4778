"""The router (`gridflow router`): turns every captured report into a case.

The processor is a plain function over a decoded ReportCaptured event: it builds the
`RegisterReport` command and calls the `register_report` handler in one unit of work (case,
case events, outbox rows and the processed-event record commit together, so a replay from
offset 0 creates nothing twice). Events it can never apply — another type, a newer schema, a
malformed payload, an unknown report or category — raise `Rejected` and go to the dead-letter
topic. Any number of routers may run in one consumer group.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine

from services.config import Config
from services.dispatch.commands import RegisterReport
from services.dispatch.errors import DispatchError
from services.dispatch.handlers import ROUTER, CaseOutcome, register_report
from services.dispatch.overrides import load_calendars
from services.dispatch.timing import Calendars
from services.dispatch.uow import UnitOfWork
from services.events import REPORTS, SCHEMA_VERSION
from services.store.db import make_engine
from streams.kafka import make_consumer, make_producer
from streams.loop import BatchProcessor, ConsumeLoop, Event, Processor, Rejected
from streams.topics import wait_for_topics

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def make_router(engine: Engine, calendars: Calendars, clock: Clock = system_clock) -> Processor:
    """The router's processor: registers (and routes, merges or closes) the case of each
    ReportCaptured event; `clock` gives the registration/dispatch instant."""

    def route_report(event: Event) -> None:
        command = _command(event)
        try:
            with UnitOfWork(engine) as uow:
                outcome = register_report(uow, command, calendars=calendars, now=clock())
                uow.commit()
        except DispatchError as exc:
            raise Rejected(str(exc)) from exc
        _log(command, outcome)

    return route_report


def make_batch_router(
    engine: Engine, calendars: Calendars, clock: Clock = system_clock
) -> BatchProcessor:
    """The router's batch processor: the cases of several ReportCaptured events in one unit of
    work (one commit). Reports are taken category by category (each category's in arrival
    order), so routers running side by side take the per-category locks in one order and never
    deadlock. Raises if any event cannot be applied; the loop then routes them one by one."""

    def route_reports(events: list[Event]) -> None:
        commands = sorted((_command(e) for e in events), key=lambda c: c.category_code)
        try:
            with UnitOfWork(engine) as uow:
                outcomes = [
                    register_report(uow, c, calendars=calendars, now=clock()) for c in commands
                ]
                uow.commit()
        except DispatchError as exc:
            raise Rejected(str(exc)) from exc
        for command, outcome in zip(commands, outcomes, strict=True):
            _log(command, outcome)

    return route_reports


def _command(event: Event) -> RegisterReport:
    if event.type != "ReportCaptured":
        raise Rejected(f"the router does not handle {event.type!r} events")
    if event.schema_version > SCHEMA_VERSION:
        raise Rejected(f"schema_version {event.schema_version} is newer than this router")
    try:
        return RegisterReport.from_payload(event.event_id, event.payload)
    except DispatchError as exc:
        raise Rejected(str(exc)) from exc


def _log(command: RegisterReport, outcome: CaseOutcome) -> None:
    if outcome.applied:
        log.info(
            "case %s of report %s: %s%s",
            outcome.case_id,
            command.report_id,
            outcome.state,
            f" → {outcome.department_code}" if outcome.department_code else "",
            extra={"case_id": outcome.case_id, "report_id": command.report_id},
        )


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
    engine = make_engine(config.database_url, pool_size=2)
    consumer = make_consumer(config, [REPORTS], group=group, client_id="gridflow-router")
    producer = make_producer(config, client_id="gridflow-router")
    with engine.connect() as conn:
        # The official calendar with the admin's overrides as stored at start-up.
        calendars = load_calendars(config, conn)
    try:
        loop = ConsumeLoop(
            config,
            name=ROUTER,
            consumer=consumer,
            producer=producer,
            processor=make_router(engine, calendars, clock),
            stop=stop,
            batch_processor=make_batch_router(engine, calendars, clock),
            batch_size=config.router_batch_size,
        )
        if on_loop is not None:
            on_loop(loop)
        loop.run()
    finally:
        consumer.close(autocommit=False)
        producer.close(timeout=5)
        engine.dispose()
