"""The scheduler (`gridflow scheduler`): the SLA sweep every `GRIDFLOW_SLA_SWEEP_INTERVAL_S`
seconds, the monthly ledgers once a day at `GRIDFLOW_LEDGER_HOUR` (local time) and the
weekly and monthly supervision notices (通报) twenty minutes later, and hourly
housekeeping (sent outbox rows and old processed-event marks deleted, see
services.store.housekeeping; raw patrol points of days past GRIDFLOW_PATROL_KEEP_DAYS dropped),
and every minute the KPI month rollup's pending differences folded in (services.store.rollup).

The jobs are thin: the sweep sends one `SweepCase` command per case that needs it (see
services.cases.sweep), the ledger job calls the ledger export. Several schedulers may run:
each job first takes its PostgreSQL advisory lock and skips its turn when another process
holds it, so exactly one sweep (and one export) is active at a time, and both are idempotent.
Nothing starts on import; `run_scheduler` is the entry point.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import click
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, text

from services.calendars import load_calendars
from services.cases.sweep import SweepReport, sweep
from services.config import Config
from services.ledger.export import export_ledgers
from services.store.db import make_engine
from services.store.housekeeping import Pruned, prune
from services.store.patrol.coverage import drop_areas_before
from services.store.patrol.points import drop_partitions_before
from services.store.rollup import compact

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
LEDGER_LOCK = 0x6C656467  # "ledg": the advisory lock key of the ledger export


def system_clock() -> datetime:
    return datetime.now(UTC)


def sweep_job(engine: Engine, config: Config, clock: Clock = system_clock) -> SweepReport | None:
    """One SLA sweep with the calendars (and overrides) as stored now; None when another
    process's sweep is active."""
    with engine.connect() as conn:
        calendars = load_calendars(config, conn)
    report = sweep(engine, calendars=calendars, now=clock())
    if report is None:
        log.info("SLA sweep skipped: another scheduler is sweeping")
    elif report.events or report.failed:
        log.info("SLA sweep: %s cases scanned, %s changed, %s events, %s failed",
                 report.scanned, report.changed, report.events, report.failed)  # fmt: skip
    return report


def ledger_job(engine: Engine, config: Config, clock: Clock = system_clock) -> list | None:
    """Exports the ledgers of the current month (and, on the first days of a month, of the
    month before, so its last day is included); None when another process is exporting."""
    with engine.connect() as conn:
        zone = load_calendars(config, conn).working.timezone
        if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEDGER_LOCK}).scalar():
            log.info("ledger export skipped: another scheduler is exporting")
            return None
        try:
            now = clock()
            today = now.astimezone(zone).date()
            months = {today.replace(day=1), (today - timedelta(days=1)).replace(day=1)}
            written = []
            for month in sorted(months):
                written += export_ledgers(engine, month, config.ledger_dir, now=now,
                                          zone=str(zone))  # fmt: skip
            log.info("ledgers written: %s files in %s", len(written), config.ledger_dir)
            return written
        finally:
            conn.rollback()
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LEDGER_LOCK})
            conn.commit()


def notices_job(engine: Engine, config: Config, clock: Clock = system_clock) -> list[int]:
    """Writes the supervision notices (通报) of the last whole week and month of every district
    and street (rewritten, not duplicated, when run again); returns their ids."""
    from services.stats.notices import write_notices
    from services.stats.ranking import load_schemes

    with engine.connect() as conn:
        zone = load_calendars(config, conn).working.timezone
    scheme = load_schemes(config.kpi_schemes).get(None)
    ids = write_notices(engine, scheme, now=clock(), zone=str(zone))
    log.info("supervision notices written: %s", len(ids))
    return ids


def housekeeping_job(engine: Engine, config: Config, clock: Clock = system_clock) -> Pruned:
    """Deletes outbox rows sent more than `outbox_keep_hours` ago and processed-event marks
    older than `processed_event_keep_days`."""
    now = clock()
    pruned = prune(
        engine,
        sent_before=now - timedelta(hours=config.outbox_keep_hours),
        processed_before=now - timedelta(days=config.processed_event_keep_days),
    )
    if pruned.outbox or pruned.processed_events:
        log.info("housekeeping: %s sent outbox rows and %s processed-event marks deleted",
                 pruned.outbox, pruned.processed_events)  # fmt: skip
    return pruned


def patrol_retention_job(engine: Engine, config: Config, clock: Clock = system_clock) -> int:
    """Drops the raw patrol points of days past GRIDFLOW_PATROL_KEEP_DAYS (whole partitions)
    and the covered parts of their cell-days (no point of theirs is applied any more); the
    worker-day figures, simplified tracks and coverage shares stay. Returns how many days of
    points were dropped."""
    zone = ZoneInfo(config.timezone)
    oldest = clock().astimezone(zone).date() - timedelta(days=config.patrol_keep_days - 1)
    with engine.begin() as conn:
        dropped = drop_partitions_before(conn, oldest)
        drop_areas_before(conn, oldest)
    if dropped:
        log.info("housekeeping: raw patrol points of %s days before %s dropped", dropped, oldest)
    return dropped


def rollup_job(engine: Engine, config: Config, clock: Clock = system_clock) -> int:
    """Folds the KPI rollup's pending differences into its month sums (a reader sums both:
    the figures are the same before and after); returns the rollup rows written."""
    with engine.begin() as conn:
        return compact(conn)


def run_scheduler(config: Config, stop: threading.Event, *, clock: Clock = system_clock) -> None:
    """Runs the jobs until `stop` is set; the first sweep runs at once."""
    engine = make_engine(config.database_url, pool_size=2)
    with engine.connect() as conn:
        zone = load_calendars(config, conn).working.timezone
    scheduler = BackgroundScheduler(timezone=zone)
    scheduler.add_job(
        sweep_job, "interval", args=(engine, config, clock), seconds=config.sla_sweep_interval_s,
        next_run_time=datetime.now(zone), id="sla-sweep", max_instances=1, coalesce=True,
    )  # fmt: skip
    scheduler.add_job(
        ledger_job, "cron", args=(engine, config, clock), hour=config.ledger_hour, minute=0,
        id="ledgers", max_instances=1, coalesce=True, misfire_grace_time=3600,
    )  # fmt: skip
    scheduler.add_job(
        notices_job, "cron", args=(engine, config, clock), hour=config.ledger_hour, minute=20,
        id="notices", max_instances=1, coalesce=True, misfire_grace_time=3600,
    )  # fmt: skip
    scheduler.add_job(
        housekeeping_job, "interval", args=(engine, config, clock), hours=1,
        id="housekeeping", max_instances=1, coalesce=True,
    )  # fmt: skip
    scheduler.add_job(
        patrol_retention_job, "interval", args=(engine, config, clock), hours=1,
        next_run_time=datetime.now(zone), id="patrol-retention", max_instances=1, coalesce=True,
    )  # fmt: skip
    scheduler.add_job(
        rollup_job, "interval", args=(engine, config, clock), minutes=1,
        id="kpi-rollup", max_instances=1, coalesce=True,
    )  # fmt: skip
    scheduler.start()
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)
        engine.dispose()


@click.command()
@click.option("--log-level", default="INFO", show_default=True)
@click.option("--once", is_flag=True, help="run one SLA sweep (and, with --ledgers, one "
              "ledger export) and exit")  # fmt: skip
@click.option("--ledgers", is_flag=True, help="with --once: also export the ledgers")
@click.option("--metrics-port", type=int, default=None, help="serve Prometheus /metrics (open "
              "and overdue cases) here (default GRIDFLOW_METRICS_PORT; 0: none)")  # fmt: skip
def scheduler(log_level: str, once: bool, ledgers: bool, metrics_port: int | None) -> None:
    """SLA sweeper and daily ledgers (runs until SIGTERM/SIGINT; several may run, one sweep
    is active at a time)."""
    from services.runtime import settle_heap
    from streams.process import configure_logging, start_metrics, stop_on_signals

    configure_logging(log_level)
    config = Config.from_env()
    if once:
        engine = make_engine(config.database_url, pool_size=1)
        try:
            report = sweep_job(engine, config)
            click.echo("skipped: another sweep is active" if report is None else
                       f"swept {report.scanned} cases: {report.changed} changed, "
                       f"{report.events} events, {report.failed} failed")  # fmt: skip
            if ledgers:
                written = ledger_job(engine, config)
                click.echo("ledgers skipped" if written is None else f"{len(written)} ledger files")
        finally:
            engine.dispose()
        return
    stop = stop_on_signals()
    metrics = start_metrics(config, metrics_port, cases=True)
    click.echo("gridflow scheduler: SLA sweep and daily ledgers", err=True)
    settle_heap()
    try:
        run_scheduler(config, stop)
    finally:
        if metrics is not None:
            metrics.close()
    click.echo("gridflow scheduler: stopped", err=True)


COMMANDS = [scheduler]
