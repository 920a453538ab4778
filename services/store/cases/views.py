"""Reading cases for the department and operator screens: pages of cases with their report,
category, department, pending extension and rating, picked by a `CaseFilter` (a reader's
scope, an operator's queue, states, department, category, overdue or not), and one case.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from services.store.cases.groups import due_sql, open_sql, overdue_sql
from services.store.cases.rows import MERGED_AT_SQL
from services.store.scopes import ALL, Scope, scope_sql

OVERDUE_SQL = overdue_sql()
DUE_SQL = due_sql()

_SELECT = f"""
SELECT c.id, c.case_no, c.report_id, c.state, c.category_code, cat.name_zh, cat.name_en,
  cat.priority, c.department_code, d.name_zh AS department_zh, d.name_en AS department_en,
  c.cell_code, c.community_code, c.street_code, c.district_code,
  ST_Y(c.geom) AS lat, ST_X(c.geom) AS lng, r.address, r.description, r.channel,
  r.hidden, r.redacted, r.photos_hidden, r.attributes, cat.questions, c.route_reason,
  c.created_at, c.registered_at, c.dispatched_at, c.acknowledged_at, c.resolved_at, c.closed_at,
  c.ack_due, c.resolve_due, c.ack_overdue, c.resolve_overdue, {OVERDUE_SQL} AS overdue,
  {DUE_SQL} AS due, c.escalation_level, c.extension_count, c.rework_count, c.duplicate_count,
  c.merged_into, x.id AS extension_id, x.status AS extension_status,
  x.requested_by AS extension_requested_by, x.requested_at AS extension_requested_at,
  x.requested_due AS extension_requested_due, x.reason AS extension_reason,
  x.decided_by AS extension_decided_by, x.decided_at AS extension_decided_at,
  x.decision_reason AS extension_decision_reason, x.new_due AS extension_new_due,
  g.rating, g.comment AS rating_comment, g.rated_at, g.rated_by, {MERGED_AT_SQL} AS merged_at,
  (SELECT max(e.id) FROM case_event e WHERE e.case_id = c.id) AS seq
"""
_FROM = """
FROM case_file c
JOIN report r ON r.id = c.report_id
JOIN category cat ON cat.code = c.category_code
LEFT JOIN department d ON d.code = c.department_code
LEFT JOIN LATERAL (SELECT * FROM case_extension e WHERE e.case_id = c.id
                   ORDER BY e.id DESC LIMIT 1) x ON true
LEFT JOIN case_rating g ON g.case_id = c.id
"""


# Each queue: the condition over `c` (case_file) and `x` (the newest extension request), and
# the order its page is read in.
QUEUES = {
    "intake": ("(c.state = 'reported' OR (c.state = 'registered' AND c.department_code IS NULL))",
               "c.created_at, c.id"),
    "returned": ("c.state = 'returned'", "c.updated_at, c.id"),
    "extensions": ("x.status = 'pending'", "x.requested_at, c.id"),
    "overdue": (OVERDUE_SQL, f"{DUE_SQL} NULLS LAST, c.id"),
    "open": (open_sql(), "c.created_at DESC, c.id"),
    "all": ("TRUE", "c.created_at DESC, c.id"),
    "most_urgent": ("TRUE", f"{DUE_SQL} NULLS LAST, c.created_at, c.id"),
}  # fmt: skip


@dataclass(frozen=True)
class CaseFilter:
    """Which cases a page lists: those in `scope` and `queue` (a key of QUEUES, which also
    gives the order), in one of `states` (any when empty), held by `department_code`, of
    `category_code`, overdue or not (`overdue`); None leaves a criterion out."""

    scope: Scope = ALL
    queue: str = "all"
    states: tuple[str, ...] = ()
    department_code: str | None = None
    category_code: str | None = None
    overdue: bool | None = None

    def sql(self) -> tuple[str, str, dict[str, Any]]:
        """(where, order, params) over the page's aliases."""
        scope, params = scope_sql(self.scope)
        condition, order = QUEUES[self.queue]
        where = [scope, condition]
        if self.states:
            where.append("c.state = ANY(:states)")
            params["states"] = list(self.states)
        if self.department_code is not None:
            where.append("c.department_code = :department")
            params["department"] = self.department_code
        if self.category_code is not None:
            where.append("c.category_code = :category")
            params["category"] = self.category_code
        if self.overdue is not None:
            where.append(f"{'' if self.overdue else 'NOT '}{OVERDUE_SQL}")
        return " AND ".join(where), order, params


def page_of_cases(
    conn: Connection, picked: CaseFilter, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """The cases `picked` lists, in its queue's order, one page, and the total count."""
    where, order, params = picked.sql()
    total = conn.execute(text(f"SELECT count(*) {_FROM} WHERE {where}"), params).scalar_one()
    rows = conn.execute(
        text(f"{_SELECT} {_FROM} WHERE {where} ORDER BY {order} LIMIT :limit OFFSET :offset"),
        {**params, "limit": limit, "offset": offset},
    ).mappings()
    return [dict(r) for r in rows], total


def one_case(conn: Connection, case_id: uuid.UUID) -> dict[str, Any] | None:
    """One case as the screens show it, or None."""
    row = conn.execute(text(f"{_SELECT} {_FROM} WHERE c.id = :id"), {"id": case_id})
    found = row.mappings().first()
    return dict(found) if found else None
