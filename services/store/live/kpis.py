"""Today's figures of a scope as the live pages show them: cases captured, dispatched,
resolved and closed today, captured-vs-closed by hour, open and overdue cases per department,
and the population of the KPI tiles (cases resolved or closed today, open cases due today) with
their median time to resolve. "Today" starts at `day` (the caller's local midnight, in UTC).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, text

from services.store.live.cases import OPEN_SQL, OVERDUE_SQL
from services.store.scopes import Scope, scope_sql

COUNTS = """
SELECT
  (SELECT count(*) FROM case_file c WHERE c.created_at >= :day AND {where}) AS captured,
  count(*) FILTER (WHERE t.dispatched) AS dispatched,
  count(*) FILTER (WHERE t.resolved) AS resolved,
  count(*) FILTER (WHERE t.closed) AS closed
FROM (
  SELECT case_id, bool_or(type = 'CaseDispatched') AS dispatched,
    bool_or(type = 'CaseResolved') AS resolved, bool_or(type = 'CaseClosed') AS closed
  FROM case_event WHERE at >= :day
    AND type IN ('CaseDispatched', 'CaseResolved', 'CaseClosed')
  GROUP BY case_id
) t
CROSS JOIN LATERAL (SELECT c.district_code, c.street_code, c.community_code, c.department_code,
                           c.cell_code
                    FROM case_file c WHERE c.id = t.case_id OFFSET 0) c
WHERE {where}
"""
# Today's cases with events are looked up one by one (OFFSET 0 keeps the lookup a
# parameterized index scan): joined as a set, PostgreSQL scanned all of case_file for them
# when the scope (a district) matched most cases.

# Today's tile population: cases resolved or closed today, and open cases due today.
TODAY = """c.case_id IN (
  SELECT case_id FROM case_event WHERE at >= :day AND type IN ('CaseClosed', 'CaseResolved')
  UNION
  SELECT c.id FROM case_file c WHERE {open} AND c.resolve_due >= :day AND c.resolve_due <= :now)
"""
# (One IN over a UNION, not two conditions joined by OR: with OR, PostgreSQL read every case
# before filtering.)
MEDIAN_RESOLVE = """
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', c.resolved_at -
  c.dispatched_at)) FILTER (WHERE c.resolved_at >= :day AND c.dispatched_at IS NOT NULL)
FROM case_fact c
WHERE {where} AND {today}
"""
# (The resolved-today condition as a FILTER, not in WHERE: there PostgreSQL took it for
# selective and read all of case_fact instead of looking up today's cases.)

HOURLY = """
SELECT h, sum(captured)::int AS captured, sum(closed)::int AS closed FROM (
  SELECT extract(hour FROM c.created_at AT TIME ZONE :zone)::int AS h, 1 AS captured, 0 AS closed
  FROM case_file c WHERE c.created_at >= :day AND {where}
  UNION ALL
  SELECT extract(hour FROM e.at AT TIME ZONE :zone)::int, 0, 1
  FROM case_event e JOIN case_file c ON c.id = e.case_id
  WHERE e.type = 'CaseClosed' AND e.at >= :day AND {where}
) t GROUP BY h ORDER BY h
"""

DEPARTMENTS = """
SELECT t.department_code, d.name_zh, d.name_en, t.open, t.overdue FROM (
  SELECT c.department_code, count(*) AS open, count(*) FILTER (WHERE {overdue}) AS overdue
  FROM case_file c WHERE {open} AND {where} AND c.department_code IS NOT NULL
  GROUP BY c.department_code
) t LEFT JOIN department d ON d.code = t.department_code
ORDER BY t.overdue DESC, t.open DESC, t.department_code
"""
# (Counted first, named after: joined before the count, each of a district's 8,000 open cases
# was joined to its department and compared twice by text for min(); 11 → 6.5 ms.)


def today_sql(scope: Scope, day: datetime, now: datetime, zone: str) -> tuple[str, str, dict]:
    """(population, where, params) of the tiles: SQL conditions over `case_fact` as alias `c`
    (today's population, the scope) and their parameters, as services.stats takes them."""
    where, params = scope_sql(scope)
    return TODAY.format(open=OPEN_SQL), where, {**params, "day": day, "now": now, "zone": zone}


def median_resolve(conn: Connection, population: str, where: str, params: dict) -> Any:
    """The median seconds from first dispatch to last resolution of the cases resolved today
    in `population` and `where` (see `today_sql`); None without any."""
    return conn.execute(text(MEDIAN_RESOLVE.format(where=where, today=population)), params).scalar()


def counts(conn: Connection, where: str, params: dict) -> Row:
    """captured, dispatched, resolved and closed today."""
    return conn.execute(text(COUNTS.format(where=where)), params).one()


def hourly(conn: Connection, where: str, params: dict) -> list[Row]:
    """(h, captured, closed) per local hour of today with any."""
    return conn.execute(text(HOURLY.format(where=where)), params).all()


def departments(conn: Connection, where: str, params: dict) -> list[Row]:
    """(department_code, name_zh, name_en, open, overdue) of each department with an open
    case in scope, the most overdue first."""
    return conn.execute(
        text(DEPARTMENTS.format(where=where, open=OPEN_SQL, overdue=OVERDUE_SQL)), params
    ).all()
