"""The services' commands of the `gridflow` CLI: serve the API, migrate the database."""

from __future__ import annotations

import click

from geo.cli import grid
from services.auth.commands import open311, user
from services.catalog.commands import catalog
from services.config import Config
from services.demo import demo
from services.ledger.commands import ledger
from services.notify.receiver import notify
from services.places.commands import places
from services.simulate.command import simulate


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    from services.store.migrate import upgrade

    upgrade(Config.from_env().database_url, revision)
    click.echo(f"database at {revision}")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--log-level", default="INFO", show_default=True)
@click.option("--server", type=click.Choice(["gunicorn", "werkzeug"]), default="gunicorn",
              show_default=True, help="werkzeug: the development server")  # fmt: skip
def serve(host: str, port: int, log_level: str, server: str) -> None:
    """Serve the HTTP API, the pages and the Socket.IO feed (Prometheus metrics on /metrics)."""
    from services.observability.logs import configure_logging

    configure_logging(log_level)
    config = Config.from_env()
    click.echo(f"gridflow serving on http://{host}:{port}/")
    from services.runtime import settle_heap

    if server == "gunicorn":
        from services.serving import GridflowServer

        gunicorn = GridflowServer(config, host, port, log_level)
        settle_heap()  # the app built: its worker, forked from here, inherits the frozen heap
        gunicorn.run()
        return
    from services.app import create_app

    app = create_app(config)
    live = app.extensions["gridflow.live"]
    live.start()
    settle_heap()
    try:
        # Threading mode with simple-websocket: one thread per connection, real WebSockets.
        live.socketio.run(
            app,
            host=host,
            port=port,
            use_reloader=False,
            log_output=False,
            allow_unsafe_werkzeug=True,
        )
    finally:
        live.close()


COMMANDS = [db, serve, user, catalog, open311, grid, simulate, demo, ledger, notify, places]
