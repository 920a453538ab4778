"""Database engine for gridflow processes: PostgreSQL + PostGIS through psycopg 3."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine


def make_engine(database_url: str, *, pool_size: int = 10, timeout_s: float = 2.0) -> Engine:
    """Builds the engine every process uses.

    Connections are checked before use (a restarted PostgreSQL is reconnected to on its own),
    and both connecting and each statement are bounded so a dead database fails fast
    instead of hanging a request.
    """
    return create_engine(
        database_url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=timeout_s,
        connect_args={
            "connect_timeout": max(1, int(timeout_s)),
            # No JIT: gridflow's queries are short, and PostgreSQL compiling one whose cost it
            # overestimates took seconds (the command-center snapshot at a million cases).
            "options": "-c statement_timeout=30000 -c timezone=UTC -c jit=off",
        },
    )
