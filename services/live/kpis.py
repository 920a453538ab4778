"""Today's figures for a page, in its viewer's scope: the KPI tiles, captured-vs-closed by hour
and open/overdue counts per department. "Today" is the calendar day in the working-time zone
(Asia/Shanghai by default), from local midnight to now.

The tile definitions are those of `services.domain.kpi` (closure on time against the resolve
due time, postponed cases left out; durations from the first dispatch to the last resolution),
applied to the cases that were closed today or fell due today.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

from services.auth.principal import Principal
from services.domain.calendar import DEFAULT_TIMEZONE
from services.live.queries import OPEN_SQL, OVERDUE_SQL, scope_sql, serial
from services.stats.aggregate import kpis_of


def day_start(now: datetime, zone: str = DEFAULT_TIMEZONE) -> datetime:
    """Local midnight of `now`'s day in `zone`, as a UTC instant."""
    local = now.astimezone(ZoneInfo(zone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


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
CROSS JOIN LATERAL (SELECT c.district_code, c.street_code, c.department_code, c.cell_code
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


Read = Callable[[], Any]


def summary_reads(
    engine: Engine, principal: Principal, now: datetime | None = None, zone: str = DEFAULT_TIMEZONE
) -> tuple[dict[str, Read], Callable[[dict[str, Any]], dict[str, Any]]]:
    """The independent reads behind `summary` (each on its own connection, so a caller may run
    them side by side) and the function that builds the summary from their results."""
    now = now or datetime.now(UTC)
    day = day_start(now, zone)
    where, params = scope_sql(principal)
    params = {**params, "day": day, "now": now, "zone": zone}
    today = TODAY.format(open=OPEN_SQL)

    def read(statement: str, fetch: Callable[[Any], Any]) -> Read:
        def run() -> Any:
            with engine.connect() as conn:
                serial(conn)
                return fetch(conn.execute(text(statement), params))

        return run

    def tiles() -> tuple[Any, Any]:
        with engine.connect() as conn:
            serial(conn)
            figures = kpis_of(conn, today, as_of=now, where=where, params=params)
            median_s = conn.execute(
                text(MEDIAN_RESOLVE.format(where=where, today=today)), params
            ).scalar()
        return figures, median_s

    reads = {
        "counts": read(COUNTS.format(where=where), lambda r: r.one()),
        "tiles": tiles,
        "hourly": read(HOURLY.format(where=where), lambda r: r.all()),
        "departments": read(
            DEPARTMENTS.format(where=where, open=OPEN_SQL, overdue=OVERDUE_SQL), lambda r: r.all()
        ),
    }

    def build(results: dict[str, Any]) -> dict[str, Any]:
        counts, (figures, median_resolve_s) = results["counts"], results["tiles"]
        by_hour = {r.h: (r.captured, r.closed) for r in results["hourly"]}
        hours = int((now - day) / timedelta(hours=1)) + 1
        return {
            "day": day.isoformat(),
            "kpis": {
                "captured": counts.captured,
                "dispatched": counts.dispatched,
                "resolved": counts.resolved,
                "closed": counts.closed,
                "on_time_rate": figures.on_time_closure_rate,
                "median_resolve_s": median_resolve_s or None,
            },
            "hourly": [
                {
                    "hour": h,
                    "captured": by_hour.get(h, (0, 0))[0],
                    "closed": by_hour.get(h, (0, 0))[1],
                }
                for h in range(min(24, hours))
            ],
            "departments": [
                {
                    "department_code": r.department_code,
                    "name": {"zh": r.name_zh, "en": r.name_en or r.name_zh},
                    "open": r.open,
                    "overdue": r.overdue,
                }
                for r in results["departments"]
            ],
        }

    return reads, build


def summary(
    engine: Engine, principal: Principal, now: datetime | None = None, zone: str = DEFAULT_TIMEZONE
) -> dict[str, Any]:
    """KPI tiles, the hourly chart and the department table for `principal`'s scope."""
    reads, build = summary_reads(engine, principal, now, zone)
    return build({name: run() for name, run in reads.items()})
