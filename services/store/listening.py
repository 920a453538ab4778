"""Hearing PostgreSQL notifications on one channel: a dedicated connection LISTENing, read
without blocking. If it drops, it is re-opened at most every few seconds, and the caller is
told listening (re)started: notifications may have been missed meanwhile.

The channels: `gridflow_grid` (a grid version committed, geo.schema.GRID_CHANNEL; read by
services.store.grid_watch) and `gridflow_account` (`ACCOUNT_CHANNEL`: an account disabled, its
scope changed or a session of it revoked; read by every live server, services.live.accounts).
"""

from __future__ import annotations

import logging
import time
import weakref

import psycopg
from sqlalchemy import Engine

log = logging.getLogger(__name__)

RECONNECT_S = 5.0
# Notified by the triggers of migration 0105 with the account's id as the payload.
ACCOUNT_CHANNEL = "gridflow_account"


class Listener:
    """A connection LISTENing on `channel`; not thread-safe (one reader at a time)."""

    def __init__(self, engine: Engine, channel: str) -> None:
        self._conninfo = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        self.channel = channel
        self._conn: psycopg.Connection | None = None
        self._retry_at = 0.0
        self._finalizer: weakref.finalize | None = None

    def poll(self) -> tuple[list[str], bool]:
        """The payloads of the notifications that arrived since the last call, and whether
        listening (re)started with this call (then some may have been missed)."""
        if self._conn is None:
            return [], self._connect()
        try:
            return [n.payload for n in self._conn.notifies(timeout=0)], False
        except psycopg.Error:
            log.warning("LISTEN %s: connection lost; reconnecting", self.channel)
            self._close()
            return [], self._connect()

    def _connect(self) -> bool:
        now = time.monotonic()
        if now < self._retry_at:
            return False
        try:
            conn = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=2)
            conn.execute(f"LISTEN {self.channel}")
        except psycopg.Error as exc:
            self._retry_at = now + RECONNECT_S
            log.warning("cannot LISTEN %s: %s", self.channel, exc)
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
        self._close()
