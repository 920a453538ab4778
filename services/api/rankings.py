"""The rankings API for leaders (排名, 综合评价): departments, districts, streets,
communities, cells and grid workers over a week, month, quarter or range, with the composite
score of a configured scheme, drill-down by place, week-over-week trends and XLSX export.
Scoped like every reader: a leader or an operator sees their district, street or community."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, jsonify

from services.api.casework import calendars, gridflow, now
from services.api.openapi import operation
from services.api.rankings_schemas import (
    MetricOut,
    RankingOut,
    RankingQuery,
    SchemeOut,
    TrendOut,
    TrendQuery,
)
from services.auth import ADMIN, LEADER, OPERATOR, current_principal, requires
from services.auth.scope import reader_scope
from services.domain.ranking import METRICS, Scheme
from services.http.errors import Unprocessable
from services.http.validation import query_args
from services.stats.ranking import load_schemes, period_of, ranking, ranking_xlsx, trend
from services.store.scopes import Scope, all_of

bp = Blueprint("rankings", __name__, url_prefix="/api/v1/rankings")
TAGS = ["rankings"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _scheme(name: str | None) -> Scheme:
    schemes = load_schemes(gridflow().config.kpi_schemes)
    try:
        return schemes.get(name)
    except KeyError:
        known = ", ".join(sorted(schemes.by_name))
        raise Unprocessable(f"unknown scheme {name!r} (one of {known})", field="scheme") from None


def _scheme_list() -> list[dict[str, str]]:
    schemes = load_schemes(gridflow().config.kpi_schemes).by_name.values()
    return [{"name": s.name, "title": s.title} for s in schemes]


def _where(within: str | None, department: str | None) -> tuple[str, dict]:
    scopes = [reader_scope(current_principal())]
    if within:
        scopes.append(Scope.place(within))
    if department:
        scopes.append(Scope("department", (department,)))
    return all_of(scopes)


def _today() -> datetime:
    return now().astimezone(calendars().working.timezone)


def scheme_out(s: Scheme) -> SchemeOut:
    terms = [{"metric": t.metric, "weight": t.weight, "invert": t.invert} for t in s.terms]
    return SchemeOut(name=s.name, title=s.title, source=s.source, terms=terms,
                     denominators=dict(s.denominators))  # fmt: skip


@bp.get("")
@operation(
    "A ranking: every metric and the composite score per department or place, best first",
    description="Cases received in the week, month or quarter holding `date`, or from `from` "
    "to `to`; `within` drills down (district → street → community → cell); "
    "`format=xlsx` gives the table as a workbook.",
    tags=TAGS, query=RankingQuery, responses={200: (RankingOut, XLSX)}, errors=(422,),
)  # fmt: skip
@requires(OPERATOR, LEADER, ADMIN)
def rankings():
    q = query_args(RankingQuery)
    scheme = _scheme(q.scheme)
    zone = str(_today().tzinfo)
    day = q.first if q.period == "range" else (q.day or _today().date())
    period = period_of(q.period, day, q.last, zone)
    where, params = _where(q.within, q.department)
    descending = {"best": None, "asc": False, "desc": True}[q.order]
    with gridflow().reading.connect() as conn:
        r = ranking(conn, period, q.level, scheme, where=where, params=params, now=now(),
                    sort=q.sort, descending=descending)  # fmt: skip
    if q.format == "xlsx":
        name = f"ranking-{q.level}-{period.first}-{period.last}.xlsx"
        disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(ranking_xlsx(r), mimetype=XLSX, headers=disposition)
    metrics = [MetricOut(key=m.key, zh=m.zh, en=m.en, kind=m.kind, higher=m.higher,
                         denominator=scheme.denominator(m) if m.kind == "rate" else None)
               for m in METRICS]  # fmt: skip
    out = RankingOut(level=q.level, first=period.first, last=period.last, as_of=r.as_of,
                     scheme=scheme_out(scheme), schemes=_scheme_list(), metrics=metrics,
                     total=r.total,
                     items=r.rows)  # fmt: skip
    return jsonify(out.model_dump(mode="json", by_alias=True))


@bp.get("/trend")
@operation(
    "Week over week: the scope's metrics and composite score for each of the last weeks",
    tags=TAGS, query=TrendQuery, responses={200: TrendOut}, errors=(422,),
)  # fmt: skip
@requires(OPERATOR, LEADER, ADMIN)
def weekly_trend():
    q = query_args(TrendQuery)
    scheme = _scheme(q.scheme)
    zone = str(_today().tzinfo)
    last_week = period_of("week", q.day or _today().date(), zone=zone)
    where, params = _where(q.within, q.department)
    with gridflow().reading.connect() as conn:
        points = trend(conn, last_week, q.weeks, scheme, where=where, params=params, now=now())
    return jsonify(
        TrendOut(scheme=scheme.name, weeks=points).model_dump(mode="json", by_alias=True)
    )
