"""The read URL's one home: where the read-heavy paths (KPI and ranking pages, ledgers,
exports, search) read from.

With `GRIDFLOW_DATABASE_READ_URL` set, `Reading.connect()` hands out a connection to that
streaming replica while it answers and is at most `GRIDFLOW_REPLICA_MAX_LAG_S` behind the
primary; otherwise one to the primary. The replica's state is checked at most every
`check_every_s` (one short query), so a request pays no round trip to learn it; a replica that
fails a connect is passed over at once until the next check finds it well. A replica that
stops in the middle of a statement fails that one request (503, as the primary's would).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from services.store.db import make_engine

log = logging.getLogger(__name__)

# Seconds the replica's replayed transactions are behind: 0 when it has replayed everything it
# received (an idle primary writes nothing to be behind on); not in recovery (a promoted replica,
# or the primary's own URL): 0.
LAG = text(
    "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0 "
    "WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
)


class Connects(Protocol):
    """What a reader of many rows takes (an export, a ledger file): an Engine, or a Reading
    to read the replica when it serves."""

    def connect(self) -> AbstractContextManager[Connection]: ...


@dataclass(frozen=True)
class ReplicaState:
    """The replica as last checked: whether it answered, its lag, and whether reads go to it."""

    configured: bool
    up: bool
    lag_s: float | None
    serving: bool


class Reading:
    """Connections for reads that may be a little behind the primary (see the module)."""

    def __init__(self, primary: Engine, read_url: str = "", *, max_lag_s: float = 30.0,
                 check_every_s: float = 2.0, pool_size: int = 8) -> None:  # fmt: skip
        self.primary = primary
        self.replica = (
            make_engine(read_url, pool_size=pool_size, timeout_s=1.0) if read_url else None
        )
        self.max_lag_s, self.check_every_s = max_lag_s, check_every_s
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._state = ReplicaState(bool(read_url), False, None, False)

    def state(self) -> ReplicaState:
        """The replica's state, checked again when the last check is older than check_every_s."""
        if self.replica is None:
            return self._state
        with self._lock:
            if time.monotonic() - self._checked_at >= self.check_every_s:
                self._state = self._check()
                self._checked_at = time.monotonic()
            return self._state

    def _check(self) -> ReplicaState:
        assert self.replica is not None
        try:
            with self.replica.connect() as conn:
                lag = float(conn.execute(LAG).scalar_one())
        except DBAPIError as exc:
            if self._state.serving:
                log.warning("replica unavailable, reading from the primary: %s",
                            str(exc.orig or exc).strip().splitlines()[0])  # fmt: skip
            self.replica.dispose()
            return ReplicaState(True, False, None, False)
        serving = lag <= self.max_lag_s
        if serving != self._state.serving:
            log.warning("reads go to the %s (replica lag %.1f s, at most %.1f s)",
                        "replica" if serving else "primary", lag, self.max_lag_s)  # fmt: skip
        return ReplicaState(True, True, lag, serving)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for reading: the replica's when it serves, else the primary's."""
        if self.replica is not None and self.state().serving:
            try:
                conn = self.replica.connect()
            except DBAPIError:
                with self._lock:
                    self._state = ReplicaState(True, False, None, False)
                    self._checked_at = time.monotonic()
                self.replica.dispose()
            else:
                with conn:
                    yield conn
                return
        with self.primary.connect() as conn:
            yield conn

    def dispose(self, close: bool = True) -> None:
        """Releases the replica's pool (`close=False` after a fork: the parent's connections
        are left to the parent)."""
        if self.replica is not None:
            self.replica.dispose(close=close)
