"""What the KPI reports read of `case_fact` (one row per case: its place, state and due time
with the facts folded from its events, services.store.cases.facts): each case's facts, or
PostgreSQL's aggregates of them (counts, sums and order statistics per group and for the whole
scope, GROUPING SETS), and the names of the groups.

`where` and `population` are SQL conditions over `case_fact` as alias `c` (a scope from
services.store.scopes, a period, today's tiles), with their parameters.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Row, text

from services.store import rollup
from services.store.cases.groups import state_not_in
from services.store.snapshots import in_one_snapshot

FACTS_SQL = """
SELECT c.case_id::text AS case_id, c.state, c.created_at, c.department_code,
  c.community_code, c.street_code, c.district_code, c.resolve_due, c.rating,
  c.dispatched_at, c.acknowledged_at, c.resolved_at, c.closed_at, c.postponed,
  c.resolutions, c.failed_verifications, c.supervisions, c.urgings, c.revisit_rating,
  c.worker_id, c.on_spot
FROM case_fact c
WHERE c.created_at >= :start AND c.created_at < :end AND ({where})
ORDER BY c.created_at, c.case_id
"""
# `where` may name case_fact's place and department columns as on case_file.


def fact_rows(
    conn: Connection, start: datetime, end: datetime, where: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    """Each case received in [start, end) matching `where`: its FACTS_SQL columns, oldest
    first."""
    rows = conn.execute(
        text(FACTS_SQL.format(where=where)), {**params, "start": start, "end": end}
    ).mappings()
    return [dict(r) for r in rows]


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
  CASE WHEN x.in_loop THEN c.supervisions END AS supervisions,
  CASE WHEN x.in_loop THEN c.urgings END AS urgings,
  x.in_loop AND c.dispatched_at IS NOT NULL AS dispatched,
  CASE WHEN x.in_loop THEN date_part('epoch', c.acknowledged_at - c.dispatched_at) END AS ack,
  CASE WHEN x.in_loop THEN date_part('epoch', c.resolved_at - c.dispatched_at) END AS resolve,
  CASE WHEN x.in_loop AND c.state = 'closed'
       THEN date_part('epoch', c.closed_at - c.created_at) END AS close,
  CASE WHEN x.in_loop THEN c.rating END AS rating,
  CASE WHEN x.in_loop AND c.rating = 'dissatisfied' THEN c.revisit_rating END AS revisit,
  x.in_loop AND c.on_spot AS on_spot, x.in_loop AND c.worker_id IS NOT NULL AS patrol_found,
  x.in_loop AND c.supervisions > 0 AND UNHANDLED AS supervised_unhandled
FROM case_fact c
CROSS JOIN LATERAL (SELECT IN_LOOP AS in_loop) x
WHERE ({population}) AND ({where})
""".replace("IN_LOOP", state_not_in("outside_loop")).replace("UNHANDLED", state_not_in("handled"))


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
  count(*) FILTER (WHERE closed AND postponed) AS closed_postponed,
  count(*) FILTER (WHERE on_time) AS on_time,
  coalesce(sum(resolutions), 0) AS resolutions,
  coalesce(sum(failed), 0) AS failed,
  coalesce(sum(supervisions), 0) AS supervisions,
  coalesce(sum(urgings), 0) AS urgings,
  count(*) FILTER (WHERE dispatched) AS dispatched,
  count(*) FILTER (WHERE dispatched AND postponed) AS postponed_dispatched,
  {_durations("ack")}, {_durations("resolve")}, {_durations("close")},
  count(rating) AS rated,
  count(*) FILTER (WHERE rating = 'satisfied') AS satisfied,
  count(*) FILTER (WHERE rating = 'basically_satisfied') AS basic,
  count(*) FILTER (WHERE rating = 'dissatisfied') AS dissatisfied,
  count(revisit) AS revisited,
  count(*) FILTER (WHERE revisit IN ('satisfied', 'basically_satisfied')) AS better,
  count(*) AS filed, count(*) FILTER (WHERE on_spot) AS on_spot,
  count(*) FILTER (WHERE patrol_found) AS patrol_found,
  count(*) FILTER (WHERE supervised_unhandled) AS supervised_unhandled
FROM k
GROUP BY GROUPING SETS ((key), ())
"""
KEYS = {
    "department": "c.department_code",
    "district": "c.district_code",
    "street": "c.street_code",
    "community": "c.community_code",
    "cell": "c.cell_code",
    "worker": "c.worker_id::text",  # the grid worker who filed the report
}
# The cases a grid worker filed (a worker's ranking leaves the others out).
FILED_BY_WORKER = "c.worker_id IS NOT NULL"
# The levels whose durations are read in two halves of the groups: a district's streets and
# communities are many (a worker's count varies: one worker's community has a handful).
HALVED = frozenset({"street", "community"})


# A period's report, by group, in two reads side by side (each ~half of the single aggregate
# above, which spent most of its time evaluating ~15 expressions per case): the counts grouped
# by what they depend on (group, state, postponed, rating, the rating after a revisit), a few
# hundred rows summed in Python,
# and the ordered statistics per group and for the whole scope.
COUNTS_SQL = """
SELECT {key} AS key, c.state, c.postponed, c.rating, c.revisit_rating, count(*) AS n,
  count(*) FILTER (WHERE c.state = 'closed' OR c.resolve_due <= :as_of) AS due,
  count(*) FILTER (WHERE c.state = 'closed' AND NOT c.postponed
    AND (c.resolve_due IS NULL OR coalesce(c.resolved_at, c.closed_at) <= c.resolve_due))
    AS on_time,
  sum(c.resolutions) AS resolutions, sum(c.failed_verifications) AS failed,
  sum(c.supervisions) AS supervisions, sum(c.urgings) AS urgings,
  count(c.dispatched_at) AS dispatched,
  count(*) FILTER (WHERE c.on_spot) AS on_spot, count(c.worker_id) AS patrol_found,
  count(*) FILTER (WHERE c.supervisions > 0) AS supervised
FROM case_fact c
WHERE ({population}) AND ({where})
GROUP BY 1, 2, 3, 4, 5
"""


def _percentiles(name: str) -> str:
    return (
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY c.{name}_s) AS {name}_median, "
        f"percentile_disc(0.9) WITHIN GROUP (ORDER BY c.{name}_s) AS {name}_p90"
    )


# The durations are stored with the facts (migration 0012), NULL where a case does not count,
# and ordered-set aggregates skip NULLs.
DURATIONS_SQL = f"""
SELECT {{key}} AS key, GROUPING({{key}}) AS whole,
  {_percentiles("ack")}, {_percentiles("resolve")}, {_percentiles("close")}
FROM case_fact c
WHERE ({{population}}) AND ({{where}})
GROUP BY GROUPING SETS (({{key}}), ())
"""


def aggregate_rows(
    conn: Connection, population: str, where: str, params: dict[str, Any], as_of: datetime
) -> list[Row]:
    """AGGREGATE_SQL's rows for the cases matching `population` and `where`, without groups
    (the `whole` row is the scope's)."""
    return conn.execute(
        text(AGGREGATE_SQL.format(key="NULL::text", where=where, population=population)),
        {**params, "as_of": as_of},
    ).all()


def counts_and_durations(
    engine: Engine,
    by: str,
    start: datetime,
    end: datetime,
    as_of: datetime,
    where: str,
    params: dict[str, Any],
) -> tuple[list[Row], list[Row]]:
    """COUNTS_SQL's and DURATIONS_SQL's rows per `by` (a key of KEYS) for the cases received in
    [start, end) matching `where`, read side by side on two connections of `engine` in one
    snapshot (committed data only, as any other reader sees it)."""
    key = KEYS[by]
    population = "c.created_at >= :start AND c.created_at < :end"
    values = {**params, "start": start, "end": end, "as_of": as_of}
    counts_sql = text(COUNTS_SQL.format(key=key, where=where, population=population))
    durations_sql = text(DURATIONS_SQL.format(key=key, where=where, population=population))
    return in_one_snapshot(
        engine,
        lambda c: _tuned(c).execute(counts_sql, values).all(),
        lambda c: _tuned(c).execute(durations_sql, values).all(),
    )


def rolled_up_counts_and_durations(
    engine: Engine,
    by: str,
    start: datetime,
    end: datetime,
    months: tuple[date, date],
    as_of: datetime,
    where: str,
    params: dict[str, Any],
) -> tuple[list[Row], list[Row]]:
    """As `counts_and_durations`, the counts summed per `by` and for the whole scope from the
    month rollup for `months` (the first of the whole local months and the day after them,
    `rollup.answers` being true) and from the facts for the rest of [start, end). The
    durations' order statistics, exact, from the facts, side by side on two connections: for
    streets and communities (many groups) in two halves of the groups by the key's hash, the
    counts then one half on one connection, the other half then the whole scope on the other
    (each sort half the period's values); else the counts then the whole scope on one, the
    groups on the other."""
    key = KEYS[by]
    zone = ZoneInfo(rollup.ZONE)
    months_start, months_end = (datetime.combine(m, time(), zone) for m in months)
    population = "c.created_at >= :start AND c.created_at < :end"
    values = {**params, "start": start, "end": end, "as_of": as_of, "first_month": months[0],
              "after_months": months[1], "months_start": months_start,
              "months_end": months_end, "half": 1}  # fmt: skip
    counts_sql = text(rollup.counts_sql(key, where))
    percentiles = f"{_percentiles('ack')}, {_percentiles('resolve')}, {_percentiles('close')}"
    scope = f"FROM case_fact c WHERE ({population}) AND ({where})"
    # Grouped by the key's hash first: the sort compares integers, not text in the database's
    # collation (a third of the statement's time for a district's communities). A group with
    # no key (NULL) is in the first half.
    hashed, split = f"hashtext({key})", by in HALVED
    half = f" AND coalesce({hashed} & 1, 0) = :half" if split else ""
    by_group = text(f"SELECT {key} AS key, false AS whole, {percentiles} {scope}{half} "
                    f"GROUP BY {hashed}, {key}")  # fmt: skip
    whole = text(f"SELECT NULL AS key, true AS whole, {percentiles} {scope}")

    def counts_then(c: Connection) -> tuple[list[Row], list[Row]]:
        _serial(_tuned(c))
        counts = c.execute(counts_sql, values).all()
        return counts, c.execute(by_group if split else whole, {**values, "half": 0}).all()

    def groups_then(c: Connection) -> list[Row]:
        rows = _serial(_tuned(c)).execute(by_group, values).all()
        return rows + c.execute(whole, values).all() if split else rows

    (count_rows, first), rest = in_one_snapshot(engine, counts_then, groups_then)
    return count_rows, first + rest


def _serial(conn: Connection) -> Connection:
    """`conn`'s transaction without parallel workers: its reads already run side by side with
    the other connection's, on a core each (a half's hash condition, estimated at a few hundred
    rows, would otherwise start workers for each half's scan)."""
    conn.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    return conn


def _tuned(conn: Connection) -> Connection:
    """`conn`'s transaction set for a report's reads: a quarter's order statistics sort
    ~250,000 values per duration in memory, not on disk (the default 4 MB spills them), and no
    JIT compilation (70–90 ms of a quarter's counts, more than it saved)."""
    conn.execute(text("SET LOCAL work_mem = '64MB'"))
    conn.execute(text("SET LOCAL jit = off"))
    return conn


def department_names(conn: Connection) -> dict[str, tuple[str, str | None]]:
    """Every department's code → (name_zh, name_en)."""
    rows = conn.execute(text("SELECT code, name_zh, name_en FROM department"))
    return {r.code: (r.name_zh, r.name_en) for r in rows}


def worker_names(conn: Connection, ids: list[str]) -> dict[str, tuple[str, str]]:
    """Account id (as text) → (username, display name) of the grid workers `ids`."""
    rows = conn.execute(
        text("SELECT id::text AS id, username, display_name FROM app_user WHERE id = ANY(:ids)"),
        {"ids": [int(i) for i in ids if i and i.isdigit()]},
    )
    return {r.id: (r.username, r.display_name) for r in rows}


def jurisdiction_names(conn: Connection, level: str) -> dict[str, str]:
    """Code → name of every jurisdiction of `level` (district, street, community)."""
    rows = conn.execute(text("SELECT code, name FROM jurisdiction WHERE level = :l"), {"l": level})
    return {r.code: r.name for r in rows}
