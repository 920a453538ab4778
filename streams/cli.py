"""The `gridflow` command: the stream processors' commands plus everything services offers.

This is the outermost room (streams → services → geo), so the whole CLI is assembled here.
"""

from __future__ import annotations

import os

import click
from kafka.errors import KafkaError
from sqlalchemy.exc import DBAPIError

from services import cli as services_cli
from services.config import ConfigError
from streams import commands as stream_commands
from streams import scheduler


def one_line(exc: BaseException) -> str:
    """What went wrong, as the single line a person at a terminal reads."""
    if isinstance(exc, ConfigError):
        return str(exc)
    if isinstance(exc, DBAPIError):
        cause = str(exc.orig or exc).strip().splitlines()
        return f"the database refused or could not be reached: {cause[0] if cause else exc}"
    if isinstance(exc, KafkaError):
        return f"Kafka could not be reached: {type(exc).__name__} {exc}".strip()
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


class Commands(click.Group):
    """The group whose every failure is one line on stderr and exit status 1, not a
    traceback (`gridflow --traceback …` shows it)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if ctx.params.get("traceback"):
                raise
            raise click.ClickException(one_line(exc)) from exc


@click.group(cls=Commands)
@click.option("--traceback", is_flag=True, help="Show the whole traceback of a failure.")
@click.pass_context
def main(ctx: click.Context, traceback: bool) -> None:
    """gridflow — grid management: capture, dispatch, live map, KPIs."""
    # Every connection of the process names it to PostgreSQL (pg_stat_activity's
    # application_name, read by libpq from PGAPPNAME): `gridflow router`, `gridflow serve`, …
    if ctx.invoked_subcommand:
        os.environ.setdefault("PGAPPNAME", f"gridflow {ctx.invoked_subcommand}")


for command in [*services_cli.COMMANDS, *stream_commands.COMMANDS, *scheduler.COMMANDS]:
    main.add_command(command)
