"""The `gridflow` command's entry point.

`gridflow serve` runs on gevent (services.serving). Its monkey-patching must come before anything
imports the database driver or the Kafka client: psycopg chooses how it waits for the network
when it is imported, and a client that waits outside the event loop stalls every connection of
the process. So the patch is applied here, first, for `serve` alone; every other command
(`router`, `relay`, `scheduler`, the CLI's tools) starts as it always did, on threads.
"""

from __future__ import annotations

import sys


def cooperative_command(argv: list[str]) -> bool:
    """Whether these arguments start a `gridflow serve` on gunicorn (the default server), the
    one command that runs on gevent."""
    if not argv or argv[0] != "serve":
        return False
    pairs = zip(argv, [*argv[1:], ""], strict=True)
    return not any(a == "--server=werkzeug" or (a, b) == ("--server", "werkzeug") for a, b in pairs)


def main() -> None:
    """Runs the `gridflow` command line (streams.cli), on gevent for `serve`."""
    if cooperative_command(sys.argv[1:]):
        from gevent import monkey

        monkey.patch_all()
    from streams.cli import main as cli

    cli()
