"""Database engine for gridflow processes: PostgreSQL + PostGIS through psycopg 3."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

T = TypeVar("T")


def make_engine(
    database_url: str, *, pool_size: int = 10, timeout_s: float = 2.0, pre_ping: bool = True
) -> Engine:
    """Builds the engine every process uses.

    With `pre_ping` (the default) each check-out first tests its connection with a round
    trip, so a restarted PostgreSQL is reconnected to without any caller seeing an error.
    The hot paths (the API, the relay) turn it off: there a connection found dead when used
    fails that statement with a disconnect error, which makes the pool discard every
    connection opened before it, so the next check-outs connect afresh; `retry_on_disconnect`
    lets an idempotent unit of work try once more at once, and anything else answers 503.
    Connecting and each statement are bounded so a dead database fails fast instead of
    hanging a request. psycopg prepares a statement on the server after its fifth use on a
    connection.
    """
    return create_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=pre_ping,
        pool_timeout=timeout_s,
        connect_args={
            "connect_timeout": max(1, int(timeout_s)),
            # No JIT: gridflow's queries are short, and PostgreSQL compiling one whose cost it
            # overestimates took seconds (the command-center snapshot at a million cases).
            "options": "-c statement_timeout=30000 -c timezone=UTC -c jit=off",
        },
    )


def retry_on_disconnect(work: Callable[[], T]) -> T:
    """Runs `work` (a unit of work that checks out its own connection and is safe to repeat),
    once more if it failed because its pooled connection had died: the pool then holds no
    connection older than the failure, so the second try connects afresh. Any other error, or
    a second failure, propagates (the API answers 503 for an unreachable database)."""
    try:
        return work()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
    return work()


def try_session_lock(conn: Connection, key: int) -> bool:
    """Takes the session-level advisory lock `key` if no session holds it; False otherwise.
    Held until `release_session_lock` (or the connection closes)."""
    return conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one()


def release_session_lock(conn: Connection, key: int) -> None:
    """Releases the session-level advisory lock `key` taken by `try_session_lock`."""
    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})


def answers(engine: Engine) -> None:
    """Raises when PostgreSQL does not answer `SELECT 1` on a connection of `engine`."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
