"""Hearing that a grid version was committed: PostgreSQL's `gridflow_grid` channel
(geo.schema.GRID_CHANNEL) through a Listener (services.store.listening), looked at without
blocking; a (re)started listening counts as a change (notifications may have been missed).
Used by services.locator to reload its in-process grid index.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine

from geo.schema import GRID_CHANNEL
from services.store.listening import Listener

# How often a lookup looks for a grid NOTIFY: each look is a read on the listening socket, and
# lookups come hundreds a second; a new grid from another process is seen this much later.
_CHECK_S = 0.1


class GridWatch:
    """Tells whether a grid version was committed since the last call (LISTEN gridflow_grid)."""

    def __init__(self, engine: Engine):
        self._listener = Listener(engine, GRID_CHANNEL)
        self._next_check = 0.0
        self._lock = threading.Lock()

    def changed(self) -> bool:
        """True when a NOTIFY arrived, or listening (re)started and one may have been missed;
        looks at most every `_CHECK_S` (False in between)."""
        now = time.monotonic()
        if now < self._next_check or not self._lock.acquire(blocking=False):
            return False  # looked a moment ago, or another thread is looking right now
        try:
            self._next_check = now + _CHECK_S
            payloads, restarted = self._listener.poll()
            return restarted or bool(payloads)
        finally:
            self._lock.release()

    def close(self) -> None:
        """Stops listening (closes the connection)."""
        with self._lock:
            self._listener.close()
