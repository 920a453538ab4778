"""Hearing that a grid version was committed: a dedicated connection LISTENing on PostgreSQL's
`gridflow_grid` channel (geo.schema.GRID_CHANNEL), polled without blocking. If it drops, it is
re-opened at most every few seconds, and a reopening counts as a change (notifications may
have been missed meanwhile). Used by services.locator to reload its in-process grid index.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref

import psycopg
from sqlalchemy import Engine

from geo.schema import GRID_CHANNEL

log = logging.getLogger(__name__)

_RECONNECT_S = 5.0
# How often a lookup looks for a grid NOTIFY: each look is a read on the listening socket, and
# lookups come hundreds a second; a new grid from another process is seen this much later.
_CHECK_S = 0.1


class GridWatch:
    """Tells whether a grid version was committed since the last call (LISTEN gridflow_grid)."""

    def __init__(self, engine: Engine):
        self._conninfo = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        self._conn: psycopg.Connection | None = None
        self._retry_at = 0.0
        self._next_check = 0.0
        self._lock = threading.Lock()
        self._finalizer: weakref.finalize | None = None

    def changed(self) -> bool:
        """True when a NOTIFY arrived, or listening (re)started and one may have been missed;
        looks at most every `_CHECK_S` (False in between)."""
        now = time.monotonic()
        if now < self._next_check or not self._lock.acquire(blocking=False):
            return False  # looked a moment ago, or another thread is looking right now
        try:
            self._next_check = now + _CHECK_S
            if self._conn is None:
                return self._connect()
            try:
                return any(True for _ in self._conn.notifies(timeout=0))
            except psycopg.Error:
                log.warning("grid LISTEN connection lost; reconnecting")
                self._close()
                return self._connect()
        finally:
            self._lock.release()

    def _connect(self) -> bool:
        now = time.monotonic()
        if now < self._retry_at:
            return False
        try:
            conn = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=2)
            conn.execute(f"LISTEN {GRID_CHANNEL}")
        except psycopg.Error as exc:
            self._retry_at = now + _RECONNECT_S
            log.warning("cannot LISTEN for grid changes: %s", exc)
            return False
        self._conn = conn
        self._finalizer = weakref.finalize(self, conn.close)
        return True

    def _close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
        self._conn = None
        self._finalizer = None

    def close(self) -> None:
        """Stops listening (closes the connection)."""
        with self._lock:
            self._close()
