"""Rankings for leaders (排名): departments, districts, streets, communities, cells or grid
workers (by the reports they filed) over a
week, a month, a quarter or any range, with every metric of `services.domain.ranking` and
the composite score of a configured scheme; week-over-week trends; the table as XLSX.

The figures are the clock-time KPIs aggregated by PostgreSQL (`services.stats.aggregate`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection

from services.domain.ranking import METRICS, Scheme, SchemeError, composite, metric_values, rank
from services.stats.aggregate import aggregate_kpis
from services.stats.facts import Period
from services.stats.xlsx import table_xlsx
from services.store.kpi_facts import (
    FILED_BY_WORKER,
    department_names,
    jurisdiction_names,
    worker_names,
)

LEVELS = ("department", "district", "street", "community", "cell", "worker")
# Drill-down: a row of a place level opens the ranking of the places inside it.
CHILD = {"district": "street", "street": "community", "community": "cell"}
PERIODS = ("week", "month", "quarter", "range")
BUILT_IN = Path(__file__).with_name("schemes.yaml")


@dataclass(frozen=True)
class Schemes:
    """The configured composite-score schemes by name, and the default's name."""

    by_name: dict[str, Scheme]
    default: str

    def get(self, name: str | None) -> Scheme:
        """The scheme `name` (the default when None); KeyError for an unknown name."""
        return self.by_name[name or self.default]


@functools.lru_cache(maxsize=8)
def load_schemes(path: str = "") -> Schemes:
    """The schemes of the YAML file at `path` (the built-in file when empty), read once per
    process; raises SchemeError naming what is wrong."""
    data = yaml.safe_load(Path(path or BUILT_IN).read_text(encoding="utf-8")) or {}
    schemes = {
        str(name): Scheme.from_dict(str(name), body or {})
        for name, body in (data.get("schemes") or {}).items()
    }
    default = str(data.get("default") or "")
    if default not in schemes:
        raise SchemeError("default", f"{default!r} is not one of the schemes")
    return Schemes(schemes, default)


def period_of(kind: str, day: date, last: date | None = None, zone: str = "") -> Period:
    """The week (Monday to Sunday), month or quarter holding `day`, or the range day…last."""
    if kind == "week":
        first = day - timedelta(days=day.weekday())
        end = first + timedelta(days=6)
    elif kind in ("month", "quarter"):
        months = 1 if kind == "month" else 3
        month = day.month if kind == "month" else (day.month - 1) // 3 * 3 + 1
        first = date(day.year, month, 1)
        following = month + months
        nxt = date(day.year + (following > 12), (following - 1) % 12 + 1, 1)
        end = nxt - timedelta(days=1)
    else:
        first, end = day, last or day
    return Period(first, end, zone) if zone else Period(first, end)


@dataclass(frozen=True)
class Ranking:
    """One ranking: the scope's total and a row per group, best first by `sort`."""

    period: Period
    as_of: datetime
    level: str
    scheme: Scheme
    total: dict[str, Any]
    rows: list[dict[str, Any]]


def _labels(conn: Connection, level: str, keys: list) -> dict[str, tuple[str, str | None]]:
    """Group key → (code shown, name): a worker's account id → username and display name."""
    if level == "worker":
        return {k: (user, shown or user) for k, (user, shown) in worker_names(conn, keys).items()}
    if level == "department":
        return {code: (code, zh) for code, (zh, _en) in department_names(conn).items()}
    if level == "cell":
        return {}
    return {code: (code, name) for code, name in jurisdiction_names(conn, level).items()}


def ranking(
    conn: Connection,
    period: Period,
    level: str,
    scheme: Scheme,
    *,
    where: str,
    params: dict[str, Any],
    now: datetime,
    sort: str = "score",
    descending: bool | None = None,
) -> Ranking:
    """The ranking of `level` groups for the cases received in `period` matching `where`
    (a scope over `case_fact` as alias `c`); rows carry `code`, `name`, `values` (every
    metric), `score`, `rank` and `drill` (the level a row opens, or None). Grid workers are
    ranked by the cases of the reports they filed (the hotline's and Open311's left out, the
    total too); a worker's code is their username."""
    as_of = period.as_of(now)
    if level == "worker":
        where = f"({where}) AND {FILED_BY_WORKER}"
    total, groups = aggregate_kpis(conn, period, level, as_of=as_of, where=where, params=params)
    labels = _labels(conn, level, [k for k in groups if k])
    rows = []
    for key, kpis in groups.items():
        values = metric_values(kpis, scheme)
        code, name = labels.get(key, (key, None)) if key else (None, None)
        rows.append({"code": code, "name": name, "values": values,
                     "score": composite(values, scheme),
                     "drill": CHILD.get(level) if key else None})  # fmt: skip
    whole = metric_values(total, scheme)
    whole_row = {"values": whole, "score": composite(whole, scheme)}
    return Ranking(period, as_of, level, scheme, whole_row, rank(rows, sort, descending=descending))


def trend(
    conn: Connection,
    last_week: Period,
    weeks: int,
    scheme: Scheme,
    *,
    where: str,
    params: dict[str, Any],
    now: datetime,
) -> list[dict[str, Any]]:
    """The scope's metrics and score for each of `weeks` weeks ending with `last_week`, oldest
    first, with each figure's change from the week before (`delta`, None at the start)."""
    points: list[dict[str, Any]] = []
    for back in range(weeks - 1, -1, -1):
        first = last_week.first - timedelta(weeks=back)
        week = Period(first, first + timedelta(days=6), last_week.zone)
        total, _ = aggregate_kpis(conn, week, "district", as_of=week.as_of(now), where=where,
                                  params=params)  # fmt: skip
        values = metric_values(total, scheme)
        points.append({"first": week.first, "last": week.last, "values": values,
                       "score": composite(values, scheme)})  # fmt: skip
    for before, point in zip([None, *points], points, strict=False):
        point["delta"] = _delta(before, point)
    return points


def _delta(before: dict | None, point: dict) -> dict[str, float | None] | None:
    if before is None:
        return None
    keys = [m.key for m in METRICS]
    now = {**point["values"], "score": point["score"]}
    then = {**before["values"], "score": before["score"]}
    return {k: None if now[k] is None or then[k] is None else now[k] - then[k]
            for k in [*keys, "score"]}  # fmt: skip


LEVEL_NAMES = {"department": ("部门", "Department"), "district": ("区", "District"),
               "street": ("街道", "Street"), "community": ("社区", "Community"),
               "cell": ("网格", "Cell"), "worker": ("网格员", "Grid worker")}  # fmt: skip


def ranking_xlsx(r: Ranking) -> bytes:
    """The ranking as an XLSX table: rank, code, name, score, then every metric (rates as
    percentages, durations in hours)."""
    headers = [("排名", "Rank"), ("代码", "Code"), LEVEL_NAMES[r.level],
               ("综合得分", "Score")] + [(m.zh, m.en) for m in METRICS]  # fmt: skip
    percent = [4 + i for i, m in enumerate(METRICS) if m.kind == "rate"]

    def cells(values: dict) -> list:
        out = []
        for m in METRICS:
            v = values[m.key]
            out.append(round(v / 3600, 2) if m.kind == "duration" and v is not None else v)
        return out

    rows = [[row["rank"], row["code"], row["name"], row["score"], *cells(row["values"])]
            for row in r.rows]  # fmt: skip
    rows.append([None, None, "合计 Total", r.total["score"], *cells(r.total["values"])])
    title = f"{LEVEL_NAMES[r.level][0]}排名 {r.period.first}—{r.period.last} {r.scheme.title}"
    return table_xlsx(title, headers, rows, percent_columns=percent)
