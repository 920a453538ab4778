"""What a community's monthly ledger (services.ledger) reads besides the KPI facts: the
communities with cases in a period, each case's handling and report for its line, and the
community's name; and a place's lines of a whole year with their facts, streamed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

DETAILS_SQL = """
SELECT c.id::text AS case_id, c.case_no, c.created_at, c.state, c.cell_code, c.extension_count,
  c.rework_count, c.escalation_level, c.ack_overdue, c.resolve_overdue, r.channel,
  r.description, r.redacted, r.address, cat.big_class_zh, cat.name_zh AS category_zh,
  d.name_zh AS department_zh, g.rating
FROM case_file c JOIN report r ON r.id = c.report_id
JOIN category cat ON cat.code = c.category_code
LEFT JOIN department d ON d.code = c.department_code
LEFT JOIN case_rating g ON g.case_id = c.id
WHERE c.created_at >= :start AND c.created_at < :end AND c.community_code = :community
"""


def communities(conn: Connection, start: datetime, end: datetime) -> list[str]:
    """The communities with at least one case received in [start, end)."""
    rows = conn.execute(
        text(
            "SELECT DISTINCT community_code FROM case_file WHERE created_at >= :start "
            "AND created_at < :end AND community_code IS NOT NULL ORDER BY community_code"
        ),
        {"start": start, "end": end},
    )
    return [r[0] for r in rows]


def case_lines(
    conn: Connection, community_code: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """DETAILS_SQL's row of each case of the community received in [start, end), in the order
    of its report (then case number)."""
    rows = conn.execute(
        text(DETAILS_SQL + " ORDER BY c.created_at, c.case_no"),
        {"start": start, "end": end, "community": community_code},
    ).mappings()
    return [dict(r) for r in rows]


def community_name(conn: Connection, community_code: str) -> str | None:
    """The community's name, None when it is not known."""
    return conn.execute(
        text("SELECT name FROM jurisdiction WHERE code = :c"), {"c": community_code}
    ).scalar_one_or_none()


# A place's year: each case's line with the KPI facts its verdicts need, one pass in the order
# of the reports (the facts' columns as services.store.kpi_facts.FACTS_SQL names them).
YEAR_SQL = DETAILS_SQL.replace(
    "FROM case_file c JOIN report r",
    ", f.department_code, f.resolve_due, f.dispatched_at, f.acknowledged_at, f.resolved_at,"
    " f.closed_at, f.postponed, f.resolutions, f.failed_verifications, f.supervisions,"
    " f.urgings, f.revisit_rating, f.worker_id, f.on_spot\n"
    "FROM case_file c JOIN case_fact f ON f.case_id = c.id JOIN report r",
).replace("AND c.community_code = :community", "AND ({where})")


def year_lines(
    conn: Connection,
    start: datetime,
    end: datetime,
    where: str,
    params: dict[str, Any],
    batch: int = 2000,
) -> Iterator[dict[str, Any]]:
    """YEAR_SQL's row of each case received in [start, end) matching `where` (over case_file
    as `c`), oldest first, fetched `batch` rows at a time from a server-side cursor: memory
    stays the same however many cases the place had."""
    result = conn.execution_options(stream_results=True, yield_per=batch).execute(
        text(YEAR_SQL.format(where=where) + " ORDER BY c.created_at, c.case_no"),
        {**params, "start": start, "end": end},
    )
    for row in result.mappings():
        yield dict(row)
