"""The `gridflow` command: the stream processors' commands plus everything services offers.

This is the outermost room (streams → services → geo), so the whole CLI is assembled here.
"""

from __future__ import annotations

import click

from services import cli as services_cli
from streams import commands as stream_commands
from streams import scheduler


@click.group()
def main() -> None:
    """gridflow — grid management: capture, dispatch, live map, KPIs."""


for command in [*services_cli.COMMANDS, *stream_commands.COMMANDS, *scheduler.COMMANDS]:
    main.add_command(command)
