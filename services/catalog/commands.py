"""`gridflow catalog …`: the category catalog."""

from __future__ import annotations

import click

from services.config import Config


@click.group()
def catalog() -> None:
    """The category catalog (components and events)."""


@catalog.command("load")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
def catalog_load(path):
    """Upsert the catalog from PATH (default: the catalog shipped with gridflow), extra
    questions included; a bad file changes nothing."""
    from pathlib import Path

    from services.catalog.yamlfile import CatalogFileError, parse
    from services.store.catalog import SEED_FILE, upsert_rows
    from services.store.db import make_engine

    try:
        rows = parse(Path(path or SEED_FILE).read_text(encoding="utf-8"))
    except CatalogFileError as exc:
        raise click.ClickException(str(exc)) from exc
    engine = make_engine(Config.from_env().database_url)
    try:
        with engine.begin() as conn:
            upsert_rows(conn, rows)
    finally:
        engine.dispose()
    click.echo(f"{len(rows)} categories loaded")


@catalog.command("list")
def catalog_list():
    """Print the catalog: code, family, priority, limits, names."""
    from services.store.catalog import list_categories
    from services.store.db import make_engine

    engine = make_engine(Config.from_env().database_url)
    try:
        with engine.connect() as conn:
            for c in list_categories(conn):
                click.echo(
                    f"{c.code}\t{c.family}\t{c.priority}\t{c.ack_limit_minutes}/"
                    f"{c.resolve_limit_minutes} min\t{c.name_zh}\t{c.name_en}"
                )
    finally:
        engine.dispose()
