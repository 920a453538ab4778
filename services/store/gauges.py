"""What the Prometheus gauges read at a scrape: the outbox backlog, and the open and overdue
cases per state (the state groups and the overdue predicate from services.store.cases.groups).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Row, text

from services.store.cases.groups import open_sql, overdue_sql

OUTBOX_SQL = text(
    "SELECT count(*) AS backlog, EXTRACT(EPOCH FROM now() - min(created_at)) AS oldest "
    "FROM outbox WHERE sent_at IS NULL"
)
OPEN_CASES_SQL = text(
    f"SELECT c.state, count(*) AS n, count(*) FILTER (WHERE {overdue_sql()}) AS overdue "
    f"FROM case_file c WHERE {open_sql()} GROUP BY c.state"
)


def scrape(
    engine: Engine, *, outbox: bool, cases: bool, timeout_ms: int
) -> tuple[Any, list[Row] | None]:
    """(backlog, oldest) of the unpublished outbox rows when `outbox`, and (state, n, overdue)
    per open state when `cases` (None when not asked), each statement bounded by
    `timeout_ms`. Raises SQLAlchemyError when the database does not answer."""
    with engine.connect() as conn:
        conn.execute(text(f"SET LOCAL statement_timeout = {int(timeout_ms)}"))
        backlog = conn.execute(OUTBOX_SQL).one() if outbox else None
        counts = conn.execute(OPEN_CASES_SQL).all() if cases else None
    return backlog, counts
