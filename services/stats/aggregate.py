"""The KPIs of `services.domain.kpi` in clock time, aggregated by PostgreSQL (the statements
are services.store.kpi_facts; here their rows become `Kpis`).

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
- by district, street, community, department or grid worker over whole local months, the
  counts are sums of the month rollup (services.store.rollup: a district's quarter is a few
  thousand rows for its streets, tens of thousands for its communities, instead of a quarter
  of a million facts), the days around the months read from the facts;
- durations: acknowledge = first acknowledgement − first dispatch, resolve = last resolution −
  first dispatch (cases with both), close = closure − report (closed cases); median is
  `percentile_cont(0.5)` (the mean of the two middle values for an even count) and p90
  `percentile_disc(0.9)` (nearest rank), in seconds.

Working time needs the calendar (Python): `services.stats.reports` uses `load_figures` then.
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection

from services.domain.kpi import Kpis, ratio
from services.domain.states import HANDLED_STATES, OUTSIDE_LOOP_STATES
from services.stats.facts import Period
from services.store import kpi_facts, rollup


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
        extended=row.postponed_dispatched,
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
        revisited=row.revisited,
        satisfied_after_revisit=row.better,
        satisfaction_after_revisit_rate=ratio(sat + basic + row.better, rated),
        supervisions=int(row.supervisions),
        urgings=int(row.urgings),
        filed=row.filed,
        on_spot=row.on_spot,
        patrol_found=row.patrol_found,
        supervised_unhandled=row.supervised_unhandled,
        closed_postponed=row.closed_postponed,
    )


OUTSIDE_LOOP = frozenset(s.value for s in OUTSIDE_LOOP_STATES)
HANDLED = frozenset(s.value for s in HANDLED_STATES)
COUNT_FIELDS = (
    "cases", "closed", "due", "postponed_due", "on_time", "resolutions", "failed",
    "dispatched", "postponed_dispatched", "rated", "satisfied", "basic", "dissatisfied",
    "revisited", "better", "supervisions", "urgings", "filed", "on_spot", "patrol_found",
    "supervised_unhandled", "closed_postponed",
)  # fmt: skip
RATINGS = {"satisfied": "satisfied", "basically_satisfied": "basic", "dissatisfied": "dissatisfied"}


def _add_counts(into: dict[str, int], row: Any) -> None:
    """Adds one (group, state, postponed, rating) row of kpi_facts.COUNTS_SQL to a group's
    counts, as kpi_facts.AGGREGATE_SQL counts them: only cases in the loop, but for `filed`."""
    into["filed"] += row.n
    if row.state in OUTSIDE_LOOP:
        return
    into["cases"] += row.n
    into["closed"] += row.n if row.state == "closed" else 0
    into["due"] += row.due
    into["on_time"] += row.on_time
    into["resolutions"] += int(row.resolutions or 0)
    into["failed"] += int(row.failed or 0)
    into["supervisions"] += int(row.supervisions or 0)
    into["urgings"] += int(row.urgings or 0)
    into["dispatched"] += row.dispatched
    into["on_spot"] += row.on_spot
    into["patrol_found"] += row.patrol_found
    if row.state not in HANDLED:
        into["supervised_unhandled"] += row.supervised
    if row.postponed:
        into["closed_postponed"] += row.n if row.state == "closed" else 0
        into["postponed_due"] += row.due
        into["postponed_dispatched"] += row.dispatched
    if row.rating is not None:
        into["rated"] += row.n
        if row.rating in RATINGS:
            into[RATINGS[row.rating]] += row.n
        if row.rating == "dissatisfied" and row.revisit_rating is not None:
            into["revisited"] += row.n
            if row.revisit_rating != "dissatisfied":
                into["better"] += row.n


def _summed(row: Any) -> dict[str, int]:
    """A group's counts from a row of the rollup's statement (store.rollup.COUNTS_SQL)."""
    return {f: int(getattr(row, f) or 0) for f in COUNT_FIELDS}


def whole_months(period: Period) -> tuple[date, date] | None:
    """The first of the whole local months in `period` and the first day after them, or None
    when the period holds no whole month (its days are then all read from the facts)."""
    first = period.first if period.first.day == 1 else _next_month(period.first)
    after = _next_month(period.last)
    if period.last + timedelta(days=1) != after:
        after = period.last.replace(day=1)
    return (first, after) if first < after else None


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


DURATION_FIELDS = tuple(f"{d}_{s}" for d in ("ack", "resolve", "close") for s in ("median", "p90"))


def _figures(counts: dict[str, int], durations: Any) -> SimpleNamespace:
    """One group's figures under kpi_facts.AGGREGATE_SQL's column names, for `_kpis`."""
    return SimpleNamespace(**counts, **{f: getattr(durations, f, None) for f in DURATION_FIELDS})


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
    (durations to the microsecond; groups in no particular order). Called per report request.

    The counts and the durations are read side by side on two more connections of `conn`'s
    engine, both in one snapshot (committed data only, as any other reader sees it)."""
    months = whole_months(period)
    if months is not None and rollup.answers(kpi_facts.KEYS[by], where, period.zone):
        count_rows, duration_rows = kpi_facts.rolled_up_counts_and_durations(
            conn.engine, by, period.start, period.end, months, as_of, where, params or {}
        )
        counts = {row.key: _summed(row) for row in count_rows if not row.whole}
        whole = next((_summed(row) for row in count_rows if row.whole), None)
        whole = whole or dict.fromkeys(COUNT_FIELDS, 0)
    else:
        count_rows, duration_rows = kpi_facts.counts_and_durations(
            conn.engine, by, period.start, period.end, as_of, where, params or {}
        )
        counts = {}
        whole = dict.fromkeys(COUNT_FIELDS, 0)
        for row in count_rows:
            group = counts.setdefault(row.key, dict.fromkeys(COUNT_FIELDS, 0))
            _add_counts(group, row)
            _add_counts(whole, row)
    durations = {row.key: row for row in duration_rows if not row.whole}
    total = next((row for row in duration_rows if row.whole), None)
    groups = {k: _kpis(_figures(c, durations.get(k))) for k, c in counts.items()}
    return _kpis(_figures(whole, total)), groups


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
    rows = kpi_facts.aggregate_rows(conn, population, where, params or {}, as_of)
    return next(_kpis(row) for row in rows if row.whole)
