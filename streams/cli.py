"""The `gridflow` command: the stream processors' commands plus everything services offers.

This is the outermost room (streams → services → geo), so the whole CLI is assembled here.
"""

from __future__ import annotations

import os

import click

from services import cli as services_cli
from streams import commands as stream_commands
from streams import scheduler


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """gridflow — grid management: capture, dispatch, live map, KPIs."""
    # Every connection of the process names it to PostgreSQL (pg_stat_activity's
    # application_name, read by libpq from PGAPPNAME): `gridflow router`, `gridflow serve`, …
    if ctx.invoked_subcommand:
        os.environ.setdefault("PGAPPNAME", f"gridflow {ctx.invoked_subcommand}")


for command in [*services_cli.COMMANDS, *stream_commands.COMMANDS, *scheduler.COMMANDS]:
    main.add_command(command)
