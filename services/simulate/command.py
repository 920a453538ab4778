"""`gridflow simulate`: runs the simulated fleet against a running gridflow until stopped."""

from __future__ import annotations

import logging
import random
import signal
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import click

from services.config import Config
from services.domain.calendar import DEFAULT_TIMEZONE

log = logging.getLogger("gridflow.simulate")


@click.command()
@click.option("--base-url", required=True, help="the gridflow to drive, e.g. http://127.0.0.1:8080")
@click.option("--workers", default=12, show_default=True, help="simulated grid workers")
@click.option("--speed", default=60.0, show_default=True, help="simulated seconds per real one")
@click.option("--reports-per-day", default=160.0, show_default=True)
@click.option("--start", default="08:30", show_default=True, help="simulated local start time")
@click.option("--seed", default=20240601, show_default=True, help="the same seed, the same city")
@click.option("--duration", default=0.0, help="stop after this many real seconds (0: never)")
@click.option("--password", default="demo", show_default=True, help="of the fleet's accounts")
def simulate(
    base_url: str, workers: int, speed: float, reports_per_day: float, start: str, seed: int,
    duration: float, password: str,
) -> None:  # fmt: skip
    """Run simulated grid workers and departments against a gridflow (development only)."""
    from services.simulate.agents import Departments, Workers
    from services.simulate.fleet import FleetRefused, ensure_fleet
    from services.simulate.rhythm import SimClock
    from services.store.db import make_engine

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    config = Config.from_env()
    engine = make_engine(config.database_url)
    try:
        fleet = ensure_fleet(engine, config, workers=workers, seed=seed, password=password)
    except FleetRefused as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    _wait_for(base_url)
    hour, minute = (int(x) for x in start.split(":"))
    real_start = datetime.now(UTC)
    local = real_start.astimezone(ZoneInfo(DEFAULT_TIMEZONE))
    clock = SimClock(real_start, local.replace(hour=hour, minute=minute, second=0), speed)
    rng = random.Random(seed)
    people = Workers(base_url, fleet, clock, rng, reports_per_day=reports_per_day)
    departments = Departments(base_url, fleet, clock, rng)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"simulating {len(fleet.workers)} workers, {len(fleet.departments)} departments")
    tick = 1.0
    while not stop.is_set():
        now = datetime.now(UTC)
        if duration and (now - real_start).total_seconds() > duration:
            break
        try:
            people.step(now, tick)
            departments.step(now)
        except (urllib.error.URLError, OSError) as exc:
            log.warning("gridflow did not answer: %s", exc)
        stop.wait(max(0.0, tick - (datetime.now(UTC) - now).total_seconds()))
    click.echo(f"simulation stopped: {people.filed} reports filed")


def _wait_for(base_url: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base_url.rstrip("/") + "/healthz", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise click.ClickException(f"no gridflow answers at {base_url}")
