"""Serving the API app with gunicorn: one worker process on gevent.

One process holds every open WebSocket of its clients (10,000 and more): gunicorn's gevent
worker runs each connection as a greenlet of a few kilobytes, where the threaded worker held an
OS thread per open WebSocket and stopped answering HTTP once its threads were taken. Flask and
Flask-SocketIO are unchanged: Flask-SocketIO runs in its gevent mode (simple-websocket takes the
socket over), the database driver and the Kafka client wait on monkey-patched sockets (patched
before they are imported: streams.entry), and CPU-bound work (argon2, photo decoding) runs on
gevent's pool of real threads (services.runtime.offload). What keeps HTTP answering whatever
the sockets do is in services.live.admission and LiveServer: a cap on open sockets per process
and per address, a cap on concurrent snapshot builds, and slow clients cut when their queues
fill. The limits of this design (one core per process; put N processes behind the load
balancer of infra/haproxy) are in infra/README.md.

The app is built before the port is opened (so a client that finds the port open is served at
once) and before the fork, which it survives because building it opens no connection and starts
no thread; the worker then drops any pooled connection it inherited and starts the feed itself.

The worker dies with the master (a parent-death signal), so a killed `gridflow serve` never
leaves a worker holding the port. Gunicorn's own messages go to the process's JSON log lines;
requests are logged by the app (`gridflow.access`), not by gunicorn.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import threading
import time
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from services.config import Config
from services.locator import GridUnavailable

PR_SET_PDEATHSIG = 1
# Keep-alive connections stay open this long when idle (clients pool theirs for a while).
KEEPALIVE_S = 75
# On SIGTERM, requests in flight get this long; open WebSockets are then cut.
GRACEFUL_S = 5
# Connections the worker accepts beyond its live sockets' cap: HTTP requests (keep-alive
# connections of pages and phones, the load balancer's) always find room.
HTTP_CONNECTIONS = 2000


class JsonLogger(Logger):
    """Gunicorn's messages through the process's logging (one JSON line each); no access
    lines of its own."""

    def setup(self, cfg: Any) -> None:
        self.cfg = cfg
        self.loglevel = self.LOG_LEVELS.get(cfg.loglevel.lower(), logging.INFO)
        self.error_log.setLevel(self.loglevel)
        self.error_log.propagate = True

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        return None

    def reopen_files(self) -> None:
        return None

    def close_on_exec(self) -> None:
        return None


def _start_worker(server: Any, worker: Any) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the worker notices within a second anyway
        worker.log.info("no parent-death signal on this system")
    app = server.app.flask_app
    app.extensions["gridflow"].engine.dispose(close=False)  # the master's, if any
    app.extensions["gridflow"].reading.dispose(close=False)
    # The grid index now, before the first report: loading it takes most of a second of CPU
    # that would otherwise stall every socket of the worker's first burst.
    try:
        app.extensions["gridflow"].locator.index()
    except GridUnavailable as exc:  # the database is away: the first report loads it
        worker.log.warning("grid index not loaded at start: %s", exc)
    live = app.extensions["gridflow.live"]
    live.engine.dispose(close=False)
    live.start()
    threading.Thread(target=_close_sockets_on_exit, args=(worker, live), daemon=True).start()


def _close_sockets_on_exit(worker: Any, live: Any) -> None:
    """Once the worker is told to stop, tells every live client at once (Engine.IO CLOSE): they
    reconnect, to another process behind the load balancer or to this one's successor, instead
    of holding on until the graceful timeout cuts them. The live feed starts stopping at the
    same moment, so that its Kafka client is closed by the time the requests in flight are
    answered (the worker then exits: its successor can start that much sooner)."""
    while worker.alive:
        time.sleep(0.2)
    live.stop.set()
    live.close_sockets()


def _stop_worker(server: Any, worker: Any) -> None:
    server.app.flask_app.extensions["gridflow.live"].close()


class GridflowServer(BaseApplication):
    """`gridflow serve`: the app of `config` on host:port, one gevent worker."""

    def __init__(self, config: Config, host: str, port: int, log_level: str):
        from services.app import create_app

        self.flask_app = create_app(config)
        self.options = {
            "bind": f"{host}:{port}",
            "workers": 1,
            "worker_class": "gevent",
            "worker_connections": config.live_max_clients + HTTP_CONNECTIONS,
            # The listen queue for a reconnect storm: thousands of clients at once.
            "backlog": 8192,
            "preload_app": True,
            "keepalive": KEEPALIVE_S,
            "graceful_timeout": GRACEFUL_S,
            "timeout": 60,
            "loglevel": log_level.lower(),
            "logger_class": JsonLogger,
            "accesslog": None,
            "control_socket_disable": True,
            "post_fork": _start_worker,
            "worker_exit": _stop_worker,
            "proc_name": "gridflow-serve",
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.flask_app
