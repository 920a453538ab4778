"""Statements run on every API request (and each relay pass), sent with psycopg directly on
the engine's pool.

The token check and the capture statement run once per request each. Through SQLAlchemy Core
each cost about 0.3 ms of Python (compiled-statement cache, parameter processing, result
metadata, the pooled connection's isolation level set and reset); here a pooled connection is
taken from the same pool (one pool per process), switched to autocommit (a single statement
commits on its own: no BEGIN, no COMMIT round trip), and the statement is sent as psycopg's
server-side prepared statement from its first use.

Failures look exactly as through SQLAlchemy: a psycopg error is raised as the matching
`sqlalchemy.exc.DBAPIError` subclass (IntegrityError, OperationalError, …) with the original
in `.orig`, and a dead connection marks every pooled connection opened before it as stale and
sets `connection_invalidated`, so `services.store.db.retry_on_disconnect` and the API's 503
mapping behave as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

T = TypeVar("T")
_CURSOR = "gridflow.direct.cursor"  # in the pooled connection's `info`


def fetch_one(engine: Engine, query: str, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """Runs `query` (psycopg placeholders: `%(name)s`) on its own, committed when it returns,
    on a connection of `engine`'s pool; returns its first row as a tuple (None if none)."""
    return _run(engine, query, params, psycopg.Cursor.fetchone)


def placeholders(query: str, names: Iterable[str]) -> str:
    """`query`, written with SQLAlchemy's named parameters (`:name`), with psycopg's
    (`%(name)s`) for `names`, so text shared with SQLAlchemy readers can be sent here."""
    for name in sorted(names, key=len, reverse=True):  # `:a_b` before `:a`
        query = query.replace(f":{name}", f"%({name})s")
    return query


def fetch_all(engine: Engine, query: str, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """As `fetch_one`, every row."""
    return _run(engine, query, params, psycopg.Cursor.fetchall)


def _run(engine: Engine, query: str, params: Mapping[str, Any], fetch: Callable[[Any], T]) -> T:
    fairy = _checkout(engine, query, params)
    try:
        conn: psycopg.Connection = fairy.driver_connection  # type: ignore[assignment]
        try:
            conn.autocommit = True
            try:
                return fetch(_cursor(fairy, conn).execute(query, params, prepare=True))
            finally:
                conn.autocommit = False  # as SQLAlchemy expects its connections back
        except psycopg.Error as exc:
            raise _as_sqlalchemy(engine, fairy, conn, query, params, exc) from exc
    finally:
        fairy.close()


def execute_planned(conn: Connection, query: str, params: Mapping[str, Any]) -> None:
    """Runs `query` (psycopg placeholders) in `conn`'s transaction, planned for this execution
    and never prepared: for a statement joining a table whose best plan depends on how big it
    is now (a connection's kept plan, made while the table was small, scans it whole as it
    grows). Planning it costs a fraction of a millisecond. Failures as in `fetch_one`."""
    fairy = conn.connection
    raw: psycopg.Connection = fairy.driver_connection  # type: ignore[assignment]
    try:
        raw.execute(query, params, prepare=False)
    except psycopg.Error as exc:
        raise _as_sqlalchemy(conn.engine, fairy, raw, query, params, exc) from exc


def _cursor(fairy, conn: psycopg.Connection) -> psycopg.Cursor:
    """The connection's cursor for `fetch_one`/`fetch_all`, made once and reused: a new cursor
    sets up its adapters and looks up the loader of each result column again on its first
    statement. Its rows are fetched before the connection goes back to the pool, so reusing it
    never replaces a result someone still reads."""
    cursor = fairy.info.get(_CURSOR)
    if cursor is None or cursor.connection is not conn or cursor.closed:
        cursor = fairy.info[_CURSOR] = conn.cursor()
    return cursor


class Statements:
    """The statements of one `transaction`: each sent with psycopg, prepared on the server."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.last: tuple[str, Mapping[str, Any]] = ("BEGIN", {})

    def execute(
        self, query: str, params: Mapping[str, Any] | None = None, *, prepare: bool = True
    ) -> psycopg.Cursor:
        """Runs `query` (psycopg placeholders) in the transaction; its cursor. `prepare=False`
        for text of several statements (they cannot be prepared)."""
        self.last = (query, params or {})
        return self.conn.execute(query, params, prepare=prepare)


@contextmanager
def transaction(engine: Engine) -> Iterator[Statements]:
    """A transaction on a connection of `engine`'s pool, committed when the block ends (rolled
    back if it raises); failures look as in `fetch_one`: SQLAlchemy's errors, and a dead
    connection marks the pool's older connections stale."""
    fairy = _checkout(engine, "BEGIN", {})
    try:
        conn: psycopg.Connection = fairy.driver_connection  # type: ignore[assignment]
        statements = Statements(conn)
        try:
            with conn.transaction():
                yield statements
        except psycopg.Error as exc:
            query, params = statements.last
            raise _as_sqlalchemy(engine, fairy, conn, query, params, exc) from exc
    finally:
        fairy.close()


def _checkout(engine: Engine, query: str, params: Mapping[str, Any]):
    """A pooled connection; a database that cannot be reached raises SQLAlchemy's
    OperationalError, as `engine.connect()` would (the API answers 503, not 500)."""
    try:
        return engine.raw_connection()
    except psycopg.Error as exc:
        raise DBAPIError.instance(
            query, dict(params), exc, psycopg.Error, dialect=engine.dialect
        ) from exc


def _as_sqlalchemy(engine, fairy, conn, query, params, exc: psycopg.Error) -> DBAPIError:
    disconnected = engine.dialect.is_disconnect(exc, conn, None)
    if disconnected:
        # What SQLAlchemy does on a disconnect: this connection is discarded, and every one
        # opened before it is replaced at its next check-out (PostgreSQL restarted).
        engine.pool._invalidate(fairy, exc)
    return DBAPIError.instance(
        query,
        dict(params),
        exc,
        psycopg.Error,
        connection_invalidated=disconnected,
        dialect=engine.dialect,
    )
