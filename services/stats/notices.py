"""Supervision notices (通报): each week and each month, a notice per district and street
with the totals, the rankings (departments, and the places one level down), the ten oldest
overdue cases with their departments, the categories returned most and satisfaction. Written
by the scheduler (`write_notices`); rendered as a printable page, PDF and XLSX on download
(services.stats.notice_files)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from services.domain.ranking import Scheme
from services.stats.facts import Period
from services.stats.ranking import CHILD, period_of, ranking
from services.store import notices as store
from services.store.kpi_facts import jurisdiction_names
from services.store.scopes import Scope, scope_sql

KINDS = {"weekly": "week", "monthly": "month"}
KIND_ZH = {"weekly": "周", "monthly": "月度"}
SHOWN = ("cases", "closure_rate", "on_time_closure_rate", "rework_rate", "extension_rate",
         "overdue_pending_rate", "satisfaction_rate")  # fmt: skip


def last_complete(kind: str, today: date, zone: str) -> Period:
    """The last whole week (Monday to Sunday) or month before `today`."""
    if kind == "weekly":
        return period_of("week", today - timedelta(days=today.weekday() + 1), zone=zone)
    return period_of("month", today.replace(day=1) - timedelta(days=1), zone=zone)


def _rows(r) -> list[dict[str, Any]]:
    return [{"rank": row["rank"], "code": row["code"], "name": row["name"],
             "score": row["score"], "values": {k: row["values"][k] for k in SHOWN}}
            for row in r.rows]  # fmt: skip


def build_notice(engine: Engine, kind: str, code: str, period: Period, scheme: Scheme, *,
                 now: datetime) -> dict[str, Any]:  # fmt: skip
    """The body of the notice of `kind` for the district or street `code` over `period`."""
    level = "district" if len(code) == 6 else "street"
    where, params = scope_sql(Scope.place(code))
    with engine.connect() as conn:
        name = jurisdiction_names(conn, level).get(code) or code
        departments = ranking(conn, period, "department", scheme, where=where, params=params,
                              now=now)  # fmt: skip
        places = ranking(conn, period, CHILD[level], scheme, where=where, params=params, now=now)
        overdue = store.oldest_overdue(conn, where, params, departments.as_of)
        returned = store.most_returned(conn, where, params, period.start, period.end)
    span = f"{period.first:%Y年%m月%d日}至{period.last:%Y年%m月%d日}"
    return {
        "title": f"{name}{KIND_ZH[kind]}督办通报（{span}）",
        "kind": kind, "code": code, "name": name, "level": level,
        "from": period.first.isoformat(), "to": period.last.isoformat(),
        "as_of": departments.as_of.isoformat(), "scheme": scheme.title,
        "totals": departments.total["values"], "score": departments.total["score"],
        "departments": _rows(departments), "places": _rows(places), "places_level": CHILD[level],
        "overdue": [{**o, "resolve_due": o["resolve_due"].isoformat(),
                     "days_overdue": round((departments.as_of - o["resolve_due"]).total_seconds()
                                           / 86400, 1)} for o in overdue],
        "returned": [{**r, "returns": int(r["returns"])} for r in returned],
    }  # fmt: skip


def write_notices(engine: Engine, scheme: Scheme, *, now: datetime, zone: str,
                  kinds: tuple[str, ...] = ("weekly", "monthly")) -> list[int]:  # fmt: skip
    """Writes the last complete week's and month's notice of every district and street with a
    case in it (rewriting one already written); returns their ids. Called by the scheduler
    daily: a notice appears the day after its period ends."""
    from zoneinfo import ZoneInfo

    today = now.astimezone(ZoneInfo(zone)).date()
    ids = []
    for kind in kinds:
        period = last_complete(kind, today, zone)
        with engine.connect() as conn:
            codes = store.places_with_cases(conn, period.start, period.end)
        for code in codes:
            body = build_notice(engine, kind, code, period, scheme, now=now)
            with engine.begin() as conn:
                ids.append(store.save_notice(conn, kind, code, period.first, period.last, body))
    return ids
