"""The KPI API (综合评价): per department and per jurisdiction, for any period, in the
caller's scope (operators: their district or street; department staff: their department's
cases; admins: everything). Read from the replica when one serves (services.store.reading)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from services.api.casework import calendars, gridflow, now
from services.api.handling_schemas import Names
from services.api.openapi import operation
from services.api.stats_schemas import (
    JurisdictionStatsQuery,
    KpisOut,
    StatsOut,
    StatsQuery,
    StatsRow,
)
from services.auth import ADMIN, DEPARTMENT_STAFF, LEADER, OPERATOR, current_principal, requires
from services.auth.principal import GRID_WORKER, Principal
from services.auth.scope import reader_scope
from services.http.validation import query_args
from services.stats.facts import Period
from services.stats.reports import KpiReport, by_department, by_jurisdiction
from services.store.scopes import NOTHING, Scope, all_of

bp = Blueprint("stats", __name__, url_prefix="/api/v1/stats")
TAGS = ["stats"]


def _scope(me: Principal, q: StatsQuery) -> tuple[str, dict]:
    scopes = [_mine(me)]
    if q.within:
        scopes.append(Scope.place(q.within))
    if q.department:
        scopes.append(Scope("department", (q.department,)))
    return all_of(scopes)


def _mine(me: Principal) -> Scope:
    return reader_scope(me) if me.role != GRID_WORKER else NOTHING


def _out(report: KpiReport, q: StatsQuery, level: str) -> dict:
    items = [
        StatsRow(
            code=row.key,
            name=Names(zh=row.name_zh, en=row.name_en or row.name_zh) if row.name_zh else None,
            kpis=KpisOut(**row.kpis.as_dict()),
        )
        for row in report.rows
    ]
    out = StatsOut(first=q.first, last=q.last, as_of=report.as_of, time=q.time, level=level,
                   total=KpisOut(**report.total.as_dict()), items=items)  # fmt: skip
    return out.model_dump(mode="json", by_alias=True)


def _args(model):
    q = query_args(model)
    period = Period(q.first, q.last, str(calendars().working.timezone))
    calendar = calendars().working if q.time == "working" else None
    return q, period, calendar


@bp.get("/departments")
@operation(
    "KPIs per department for a period: closure, on-time closure, rework, extension, "
    "durations, satisfaction",
    description="Cases whose report was received from `from` to `to` (local dates).",
    tags=TAGS, query=StatsQuery, responses={200: StatsOut}, errors=(422,),
)  # fmt: skip
@requires(OPERATOR, LEADER, DEPARTMENT_STAFF, ADMIN)
def departments():
    q, period, calendar = _args(StatsQuery)
    where, params = _scope(current_principal(), q)
    with gridflow().reading.connect() as conn:
        report = by_department(conn, period, where=where, params=params, now=now(),
                               calendar=calendar)  # fmt: skip
    return jsonify(_out(report, q, "department"))


@bp.get("/jurisdictions")
@operation(
    "KPIs per district, street or community for a period",
    description="Cases whose report was received from `from` to `to` (local dates).",
    tags=TAGS, query=JurisdictionStatsQuery, responses={200: StatsOut}, errors=(422,),
)  # fmt: skip
@requires(OPERATOR, LEADER, DEPARTMENT_STAFF, ADMIN)
def jurisdictions():
    q, period, calendar = _args(JurisdictionStatsQuery)
    where, params = _scope(current_principal(), q)
    with gridflow().reading.connect() as conn:
        report = by_jurisdiction(conn, period, q.level, where=where, params=params, now=now(),
                                 calendar=calendar)  # fmt: skip
    return jsonify(_out(report, q, q.level))
