"""KPI reports: per department and per jurisdiction (district, street or community), for a
period and a scope, with the arithmetic of `services.domain.kpi`: aggregated by PostgreSQL in
clock time (`services.stats.aggregate`), over the cases' facts in Python in working time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from services.domain.calendar import TimeCalendar
from services.domain.kpi import Kpis, compute_kpis, kpis_by
from services.stats.aggregate import aggregate_kpis
from services.stats.facts import CaseFigures, Period, load_figures
from services.store.kpi_facts import department_names, jurisdiction_names

LEVEL_COLUMNS = {
    "district": "district_code",
    "street": "street_code",
    "community": "community_code",
}


@dataclass(frozen=True)
class Row:
    """One line of a report: who or where (`key`, None for cases without one), its name and
    its figures."""

    key: str | None
    name_zh: str | None
    name_en: str | None
    kpis: Kpis


@dataclass(frozen=True)
class KpiReport:
    """The figures of the whole scope and one row per group."""

    period: Period
    as_of: datetime
    total: Kpis
    rows: list[Row]


def _report(
    figures: list[CaseFigures],
    key,
    names: dict[str, tuple[str, str | None]],
    period: Period,
    now: datetime,
    calendar: TimeCalendar | None,
) -> KpiReport:
    as_of = period.as_of(now)
    by_case = {f.facts.case_id: key(f) for f in figures}
    groups = kpis_by([f.facts for f in figures], lambda fact: by_case[fact.case_id],
                     as_of=as_of, calendar=calendar)  # fmt: skip
    rows = [Row(k, *names.get(k, (None, None)), v) for k, v in groups.items()]
    rows.sort(key=lambda r: (r.key is None, r.key or ""))
    total = compute_kpis([f.facts for f in figures], as_of=as_of, calendar=calendar)
    return KpiReport(period, as_of, total, rows)


def _aggregated(
    conn: Connection,
    period: Period,
    by: str,
    names: dict[str, tuple[str, str | None]],
    where: str,
    params: dict[str, Any] | None,
    now: datetime,
) -> KpiReport:
    as_of = period.as_of(now)
    total, groups = aggregate_kpis(conn, period, by, as_of=as_of, where=where, params=params)
    rows = [Row(k, *names.get(k, (None, None)), v) for k, v in groups.items()]
    rows.sort(key=lambda r: (r.key is None, r.key or ""))
    return KpiReport(period, as_of, total, rows)


def by_department(
    conn: Connection,
    period: Period,
    *,
    where: str = "TRUE",
    params: dict[str, Any] | None = None,
    now: datetime,
    calendar: TimeCalendar | None = None,
) -> KpiReport:
    """KPIs per department (the one holding or last holding each case) for cases in scope."""
    names = department_names(conn)
    if calendar is None:
        return _aggregated(conn, period, "department", names, where, params, now)
    figures = load_figures(conn, period, where, params)
    return _report(figures, lambda f: f.department_code, names, period, now, calendar)


def by_jurisdiction(
    conn: Connection,
    period: Period,
    level: str,
    *,
    where: str = "TRUE",
    params: dict[str, Any] | None = None,
    now: datetime,
    calendar: TimeCalendar | None = None,
) -> KpiReport:
    """KPIs per district, street or community (`level`) for cases in scope."""
    column = LEVEL_COLUMNS[level]
    names = {code: (name, None) for code, name in jurisdiction_names(conn, level).items()}
    if calendar is None:
        return _aggregated(conn, period, level, names, where, params, now)
    figures = load_figures(conn, period, where, params)
    return _report(figures, lambda f: getattr(f, column), names, period, now, calendar)
