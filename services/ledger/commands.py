"""`gridflow ledger export`: the monthly electronic ledgers (电子台账) as XLSX and CSV."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import click

from services.config import Config

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    found = _MONTH.match(value)
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise click.BadParameter("use YYYY-MM, e.g. 2025-10")
    return date(int(found.group(1)), int(found.group(2)), 1)


@click.group()
def ledger() -> None:
    """Electronic ledgers (电子台账)."""


@ledger.command("export")
@click.option("--month", callback=_month, help="YYYY-MM (default: the current month)")
@click.option(
    "--community",
    "communities",
    multiple=True,
    help="12-digit community code (repeatable; default: every community with cases)",
)
@click.option(
    "--format",
    "formats",
    type=click.Choice(["xlsx", "csv"]),
    multiple=True,
    help="repeatable; default: both",
)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="directory (default: GRIDFLOW_LEDGER_DIR)")  # fmt: skip
def ledger_export(month, communities, formats, out_dir) -> None:
    """Write each community's ledger of a month: <out>/<community>-<YYYY-MM>.xlsx/.csv."""
    from services.calendars import calendar_from_config
    from services.ledger.export import FORMATS, export_ledgers
    from services.store.db import make_engine

    config = Config.from_env()
    for code in communities:
        if not re.fullmatch(r"[0-9]{12}", code):
            raise click.BadParameter(f"{code!r} is not a 12-digit community code",
                                     param_hint="--community")  # fmt: skip
    zone = str(calendar_from_config(config).timezone)
    now = datetime.now(UTC)
    month = month or now.astimezone(ZoneInfo(zone)).date().replace(day=1)
    engine = make_engine(config.database_url)
    try:
        written = export_ledgers(
            engine, month, out_dir or config.ledger_dir, now=now,
            community_codes=communities or None, formats=formats or FORMATS, zone=zone,
        )  # fmt: skip
    finally:
        engine.dispose()
    for path in written:
        click.echo(str(path))
    click.echo(f"{len(written)} files", err=True)


COMMANDS = [ledger]
