"""Supervision notices (通报): the stored notices, and what a notice reads besides the KPIs —
the oldest overdue open cases and the categories departments returned most. `where` is a
scope over `case_file` as alias `c` (services.store.scopes)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text

from services.store.cases.groups import open_sql


def save_notice(conn: Connection, kind: str, code: str, first: date, last: date,
                body: dict[str, Any]) -> int:  # fmt: skip
    """Writes (or rewrites) the notice of `kind` for `code` starting `first`; returns its id."""
    return conn.execute(
        text("INSERT INTO supervision_notice (kind, jurisdiction_code, first_day, last_day, body) "
             "VALUES (:k, :c, :f, :l, CAST(:b AS jsonb)) ON CONFLICT (kind, jurisdiction_code, "
             "first_day) DO UPDATE SET body = EXCLUDED.body, last_day = EXCLUDED.last_day, "
             "written_at = now() RETURNING id"),
        {"k": kind, "c": code, "f": first, "l": last, "b": json.dumps(body, default=str)},
    ).scalar_one()  # fmt: skip


def notices(conn: Connection, prefix: str, kind: str | None, limit: int) -> list[dict]:
    """The newest notices of places whose code starts with `prefix` ("" for all)."""
    rows = conn.execute(
        text("SELECT id, kind, jurisdiction_code, first_day, last_day, written_at, "
             "body->>'title' AS title FROM supervision_notice WHERE jurisdiction_code LIKE "
             ":p || '%' AND (CAST(:k AS text) IS NULL OR kind = :k) "
             "ORDER BY first_day DESC, jurisdiction_code, kind LIMIT :n"),
        {"p": prefix, "k": kind, "n": limit},
    ).mappings()  # fmt: skip
    return [dict(r) for r in rows]


def notice(conn: Connection, notice_id: int) -> dict | None:
    """One notice with its body, or None."""
    row = conn.execute(
        text("SELECT id, kind, jurisdiction_code, first_day, last_day, written_at, body "
             "FROM supervision_notice WHERE id = :id"), {"id": notice_id},
    ).mappings().first()  # fmt: skip
    return dict(row) if row else None


def places_with_cases(conn: Connection, start: datetime, end: datetime) -> list[str]:
    """The districts and streets with a case received in [start, end)."""
    rows = conn.execute(
        text("SELECT DISTINCT unnest(ARRAY[district_code, street_code]) AS code FROM case_fact "
             "WHERE created_at >= :s AND created_at < :e ORDER BY 1"), {"s": start, "e": end},
    )  # fmt: skip
    return [r.code for r in rows if r.code]


def oldest_overdue(conn: Connection, where: str, params: dict, as_of: datetime,
                   limit: int = 10) -> list[dict]:  # fmt: skip
    """The open cases in scope longest past their resolve due time at `as_of`, oldest first."""
    rows = conn.execute(
        text("SELECT c.case_no, c.category_code, k.name_zh AS category, c.department_code, "
             "d.name_zh AS department, c.resolve_due, c.created_at FROM case_file c "
             "LEFT JOIN category k ON k.code = c.category_code "
             "LEFT JOIN department d ON d.code = c.department_code "
             f"WHERE {open_sql('c')} AND c.resolve_due < :as_of AND ({where}) "
             "ORDER BY c.resolve_due, c.case_no LIMIT :n"),
        {**params, "as_of": as_of, "n": limit},
    ).mappings()  # fmt: skip
    return [dict(r) for r in rows]


def most_returned(conn: Connection, where: str, params: dict, start: datetime, end: datetime,
                  limit: int = 5) -> list[dict]:  # fmt: skip
    """The categories whose cases departments returned (退回) most in [start, end)."""
    rows = conn.execute(
        text("SELECT c.category_code, k.name_zh AS category, count(*) AS returns "
             "FROM case_event e JOIN case_file c ON c.id = e.case_id "
             "LEFT JOIN category k ON k.code = c.category_code "
             "WHERE e.type = 'CaseReturned' AND e.at >= :start AND e.at < :end "
             f"AND ({where}) GROUP BY 1, 2 ORDER BY 3 DESC, 1 LIMIT :n"),
        {**params, "start": start, "end": end, "n": limit},
    ).mappings()  # fmt: skip
    return [dict(r) for r in rows]
