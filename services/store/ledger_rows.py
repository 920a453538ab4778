"""What a community's monthly ledger (services.ledger) reads besides the KPI facts: the
communities with cases in a period, each case's handling and report for its line, and the
community's name."""

from __future__ import annotations

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
