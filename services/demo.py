"""`gridflow demo load`: everything ./scripts/demo needs, loaded once, idempotently.

The demo district's grid, the demo departments with a routing rule for every category, and the
four demo accounts (password `demo`, development mode only).
"""

from __future__ import annotations

import click
from sqlalchemy import Engine

from services.auth.demo import DemoRefused, ensure_demo_accounts
from services.config import Config
from services.routing.rulefile import load_demo_rules
from services.store.departments import current_version


def load_demo(engine: Engine, config: Config) -> list[str]:
    """Loads what is missing of the demo data; returns a line per step for the operator."""
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
    return done


@click.group()
def demo() -> None:
    """Demo data for ./scripts/demo."""


@demo.command("load")
def demo_load() -> None:
    """Load the demo grid, departments, rules and accounts (only what is missing)."""
    from services.store.db import make_engine

    config = Config.from_env()
    engine = make_engine(config.database_url)
    try:
        for line in load_demo(engine, config):
            click.echo(line)
    except DemoRefused as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
