"""The KPIs of `services.domain.kpi` in clock time, aggregated by PostgreSQL.

A month of a city is ~100,000 cases: loading each one into Python to count and sort took
seconds. In clock time every figure is a count, a sum or an order statistic over the stored
per-case facts (`case_fact`, migration 0009: the case's place, state and due time with the
facts folded from its events), so one query computes the whole scope and every group at once
(GROUPING SETS) and returns a few rows. The definitions are the domain's, written in SQL:

- in the loop: every state but reported, rejected and merged; every figure but the group's
  presence counts only these;
- due for closure: closed, or resolve_due at or before `as_of`;
- closed on time: closed, not postponed, and no resolve due time or the last resolution (else
  the closure) at or before it;
- durations: acknowledge = first acknowledgement − first dispatch, resolve = last resolution −
  first dispatch (cases with both), close = closure − report (closed cases); median is
  `percentile_cont(0.5)` (the mean of the two middle values for an even count) and p90
  `percentile_disc(0.9)` (nearest rank), in seconds.

Working time needs the calendar (Python): `services.stats.reports` uses `load_figures` then.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from services.domain.kpi import Kpis, ratio
from services.stats.facts import Period

# One row per case, each value computed once (MATERIALIZED keeps PostgreSQL from pasting the
# expressions into every aggregate); a duration is NULL outside the loop, and ordered-set
# aggregates skip NULLs.
CASES_SQL = """
SELECT {key} AS key, x.in_loop,
  x.in_loop AND c.state = 'closed' AS closed,
  x.in_loop AND (c.state = 'closed' OR c.resolve_due <= :as_of) AS due,
  x.in_loop AND c.postponed AS postponed,
  x.in_loop AND c.state = 'closed' AND NOT c.postponed
    AND (c.resolve_due IS NULL OR coalesce(c.resolved_at, c.closed_at) <= c.resolve_due)
    AS on_time,
  CASE WHEN x.in_loop THEN c.resolutions END AS resolutions,
  CASE WHEN x.in_loop THEN c.failed_verifications END AS failed,
  x.in_loop AND c.dispatched_at IS NOT NULL AS dispatched,
  CASE WHEN x.in_loop THEN date_part('epoch', c.acknowledged_at - c.dispatched_at) END AS ack,
  CASE WHEN x.in_loop THEN date_part('epoch', c.resolved_at - c.dispatched_at) END AS resolve,
  CASE WHEN x.in_loop AND c.state = 'closed'
       THEN date_part('epoch', c.closed_at - c.created_at) END AS close,
  CASE WHEN x.in_loop THEN c.rating END AS rating
FROM case_fact c
CROSS JOIN LATERAL (SELECT c.state NOT IN ('reported', 'rejected', 'merged') AS in_loop) x
WHERE ({population}) AND ({where})
"""


def _durations(name: str) -> str:
    return (
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {name}) AS {name}_median, "
        f"percentile_disc(0.9) WITHIN GROUP (ORDER BY {name}) AS {name}_p90"
    )


AGGREGATE_SQL = f"""
WITH k AS MATERIALIZED ({CASES_SQL})
SELECT key, GROUPING(key) AS whole,
  count(*) FILTER (WHERE in_loop) AS cases,
  count(*) FILTER (WHERE closed) AS closed,
  count(*) FILTER (WHERE due) AS due,
  count(*) FILTER (WHERE due AND postponed) AS postponed_due,
  count(*) FILTER (WHERE on_time) AS on_time,
  coalesce(sum(resolutions), 0) AS resolutions,
  coalesce(sum(failed), 0) AS failed,
  count(*) FILTER (WHERE dispatched) AS dispatched,
  count(*) FILTER (WHERE dispatched AND postponed) AS postponed_dispatched,
  {_durations("ack")}, {_durations("resolve")}, {_durations("close")},
  count(rating) AS rated,
  count(*) FILTER (WHERE rating = 'satisfied') AS satisfied,
  count(*) FILTER (WHERE rating = 'basically_satisfied') AS basic,
  count(*) FILTER (WHERE rating = 'dissatisfied') AS dissatisfied
FROM k
GROUP BY GROUPING SETS ((key), ())
"""
KEYS = {
    "department": "c.department_code",
    "district": "c.district_code",
    "street": "c.street_code",
    "community": "c.community_code",
}


def _seconds(value: float | None) -> timedelta | None:
    return None if value is None else timedelta(seconds=value)


def _kpis(row: Any) -> Kpis:
    sat, basic, rated = row.satisfied, row.basic, row.rated
    return Kpis(
        cases=row.cases,
        closed=row.closed,
        closure_rate=ratio(row.closed, row.cases),
        due_for_closure=row.due,
        postponed=row.postponed_due,
        closed_on_time=row.on_time,
        on_time_closure_rate=ratio(row.on_time, row.due - row.postponed_due),
        resolutions=int(row.resolutions),
        failed_verifications=int(row.failed),
        rework_rate=ratio(int(row.failed), int(row.resolutions)),
        dispatched=row.dispatched,
        extension_rate=ratio(row.postponed_dispatched, row.dispatched),
        acknowledge_median=_seconds(row.ack_median),
        acknowledge_p90=_seconds(row.ack_p90),
        resolve_median=_seconds(row.resolve_median),
        resolve_p90=_seconds(row.resolve_p90),
        close_median=_seconds(row.close_median),
        close_p90=_seconds(row.close_p90),
        rated=rated,
        satisfied=sat,
        basically_satisfied=basic,
        dissatisfied=row.dissatisfied,
        satisfaction_rate=ratio(sat + basic, rated),
        full_satisfaction_rate=ratio(sat, rated),
    )


def aggregate_kpis(
    conn: Connection,
    period: Period,
    by: str,
    *,
    as_of: datetime,
    where: str = "TRUE",
    params: dict[str, Any] | None = None,
) -> tuple[Kpis, dict[Hashable, Kpis]]:
    """The clock-time KPIs of the cases received in `period` matching `where` (SQL over alias
    `c`, with its `params`): for the whole scope and per `by` (department, district, street or
    community; None for cases without one), as `compute_kpis` and `kpis_by` would give them
    (durations to the microsecond; groups in no particular order). Called per report request."""
    key = KEYS[by]
    population = "c.created_at >= :start AND c.created_at < :end"
    rows = conn.execute(
        text(AGGREGATE_SQL.format(key=key, where=where, population=population)),
        {**(params or {}), "start": period.start, "end": period.end, "as_of": as_of},
    ).all()
    total, groups = None, {}
    for row in rows:
        if row.whole:
            total = _kpis(row)
        else:
            groups[row.key] = _kpis(row)
    assert total is not None  # GROUPING SETS always yields the () row
    return total, groups


def kpis_of(
    conn: Connection,
    population: str,
    *,
    as_of: datetime,
    where: str = "TRUE",
    params: dict[str, Any] | None = None,
) -> Kpis:
    """The clock-time KPIs of the cases matching `population` and `where` (SQL conditions over
    `case_fact` as alias `c`, with `params`), as `compute_kpis` of their facts would give
    them. Called for the command center's tiles (today's closed, resolved and due cases)."""
    rows = conn.execute(
        text(AGGREGATE_SQL.format(key="NULL::text", where=where, population=population)),
        {**(params or {}), "as_of": as_of},
    ).all()
    return next(_kpis(row) for row in rows if row.whole)
