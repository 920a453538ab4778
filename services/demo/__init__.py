"""`gridflow demo load`: everything ./scripts/demo needs, loaded once, idempotently.

The demo district's grid, the demo departments with a routing rule for every category, the
four demo accounts (password `demo`, development mode only), and 90 days of history written
through the case rules (`services.demo.history`).
"""

from __future__ import annotations

from datetime import UTC, datetime

import click
from sqlalchemy import Engine

from services.auth.demo import DemoRefused, ensure_demo_accounts
from services.config import Config
from services.demo.stories import DEFAULT_DAYS, DEFAULT_SEED
from services.routing.rulefile import load_demo_rules
from services.store.departments import current_version


def load_demo(
    engine: Engine, config: Config, *, history_days: int = 0, seed: int = DEFAULT_SEED,
    now: datetime | None = None,
) -> list[str]:  # fmt: skip
    """Loads what is missing of the demo data; returns a line per step for the operator. With
    `history_days`, also the history of that many days up to `now` (drawn from `seed`)."""
    from geo.demo import load_demo as load_demo_grid

    done = []
    grid = load_demo_grid(engine)
    done.append("demo grid loaded" if grid is not None else "demo grid already loaded")
    with engine.connect() as conn:
        has_rules = current_version(conn) is not None
    if has_rules:
        done.append("routing rules already loaded")
    else:
        load_demo_rules(engine)
        done.append("demo departments and routing rules loaded")
    accounts = ensure_demo_accounts(engine, config)
    done.append("demo accounts: " + ", ".join(sorted(accounts)))
    if history_days > 0:
        done.append(_history(engine, config, history_days, seed, now or datetime.now(UTC)))
    return done


def _history(engine: Engine, config: Config, days: int, seed: int, now: datetime) -> str:
    from services.demo.history import load_history

    loaded = load_history(engine, config, now=now, seed=seed, days=days)
    if loaded is None:
        return "history already loaded (a case older than a day exists)"
    states = ", ".join(f"{state} {n}" for state, n in loaded.states.items())
    steps = ", ".join(f"{step} {n}" for step, n in loaded.steps.items())
    return (f"history of {days} days (seed {seed}) loaded in {loaded.seconds} s: "
            f"{loaded.reports} reports; cases {states}; steps {steps}")  # fmt: skip


@click.group()
def demo() -> None:
    """Demo data for ./scripts/demo."""


@demo.command("load")
@click.option(
    "--history-days",
    default=DEFAULT_DAYS,
    show_default=True,
    type=click.IntRange(0),
    help="days of case history to write before now (0: none)",
)
@click.option(
    "--seed",
    default=DEFAULT_SEED,
    show_default=True,
    type=int,
    help="the seed the history is drawn from",
)
def demo_load(history_days: int, seed: int) -> None:
    """Load the demo grid, departments, rules and accounts and the case history (only what is
    missing)."""
    from services.store.db import make_engine

    config = Config.from_env()
    engine = make_engine(config.database_url)
    try:
        for line in load_demo(engine, config, history_days=history_days, seed=seed):
            click.echo(line)
    except DemoRefused as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
