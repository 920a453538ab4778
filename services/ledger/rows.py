"""The lines of a community's monthly ledger: one per case whose report was received in the
month, with its handling and the KPI verdicts of `services.domain.kpi` (on time or not)."""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from services.domain.calendar import DEFAULT_TIMEZONE
from services.domain.kpi import KpiFacts, Kpis, compute_kpis, verdict
from services.stats.facts import Period, load_figures
from services.store import ledger_rows as store
from services.store.patrol.reads import community_days
from services.store.scopes import Scope, scope_sql

STATES_ZH = {
    "reported": "待受理", "registered": "已立案", "rejected": "不予立案", "merged": "已合并",
    "dispatched": "已派遣", "acknowledged": "已签收", "returned": "已退回", "resolved": "已处置",
    "closed": "已结案",
}  # fmt: skip
RATINGS_ZH = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
CHANNELS_ZH = {"grid": "网格员", "open311": "Open311", "hotline": "热线"}
LEVELS_ZH = {0: "", 1: "街道督办", 2: "区督办"}
REDACTED = "（内容已隐去）"

COLUMNS = [
    ("序号", "No."), ("案卷号", "Case no."), ("上报时间", "Reported"), ("渠道", "Channel"),
    ("大类", "Class"), ("小类", "Category"), ("问题描述", "Description"), ("网格", "Cell"),
    ("地址", "Address"), ("处置部门", "Department"), ("状态", "State"),
    ("派遣时间", "Dispatched"), ("签收时间", "Acknowledged"), ("处置时间", "Resolved"),
    ("结案时间", "Closed"), ("处置时限", "Resolve due"), ("是否按期", "On time"),
    ("是否超期", "Overdue"), ("延期次数", "Extensions"), ("返工次数", "Reworks"),
    ("督办", "Escalation"), ("督办数", "Supervisions"), ("催办数", "Urgings"),
    ("满意度", "Rating"),
]  # fmt: skip


def month_period(month: date, zone: str = DEFAULT_TIMEZONE) -> Period:
    """The local dates of `month` (any day of it)."""
    last = month_calendar.monthrange(month.year, month.month)[1]
    return Period(month.replace(day=1), month.replace(day=last), zone)


@dataclass(frozen=True)
class Ledger:
    """A community's ledger for one month: its lines and the month's KPIs."""

    community_code: str
    community_name: str | None
    month: date
    lines: list[list[Any]]
    kpis: Kpis
    # The month's worker-days of the community's grid workers (the 巡查台账 sheet).
    patrol: list[Any] = field(default_factory=list)


def communities(conn: Connection, period: Period) -> list[str]:
    """The communities with at least one case received in the period."""
    return store.communities(conn, period.start, period.end)


def line_writer(as_of: datetime, zone: str = DEFAULT_TIMEZONE):
    """A function making the ledger line (COLUMNS) of the `i`-th case from its details row and
    its `KpiFacts`, with the verdicts (on time, overdue) as of `as_of`, times local to `zone`."""
    local = ZoneInfo(zone)

    def when(moment: datetime | None) -> str:
        return moment.astimezone(local).strftime("%Y-%m-%d %H:%M") if moment else ""

    def line(i: int, row: dict[str, Any], fact: KpiFacts) -> list[Any]:
        due, in_time = verdict(fact, as_of)
        on_time = "是" if in_time else ("否" if due else "")
        if fact.postponed and due:
            on_time = "延期"
        return [
            i, row["case_no"], when(row["created_at"]), CHANNELS_ZH.get(row["channel"], ""),
            row["big_class_zh"], row["category_zh"],
            REDACTED if row["redacted"] else row["description"], row["cell_code"] or "",
            row["address"] or "", row["department_zh"] or "", STATES_ZH[row["state"]],
            when(fact.dispatched_at), when(fact.acknowledged_at), when(fact.resolved_at),
            when(fact.closed_at), when(fact.resolve_due), on_time,
            "是" if row["ack_overdue"] or row["resolve_overdue"] else "否",
            row["extension_count"], row["rework_count"], LEVELS_ZH.get(row["escalation_level"], ""),
            fact.supervisions, fact.urgings, RATINGS_ZH.get(row["rating"] or "", ""),
        ]  # fmt: skip

    return line


def ledger(conn: Connection, community_code: str, month: date, *, now: datetime,
           zone: str = DEFAULT_TIMEZONE) -> Ledger:  # fmt: skip
    """The ledger of a community for a month, as of `now` (the month's end if earlier)."""
    period = month_period(month, zone)
    as_of = period.as_of(now)
    where, params = scope_sql(Scope("community", (community_code,)))
    figures = load_figures(conn, period, where, params)
    facts = {f.facts.case_id: f.facts for f in figures}
    details = store.case_lines(conn, community_code, period.start, period.end)
    line = line_writer(as_of, zone)
    lines = [line(i, row, facts[row["case_id"]]) for i, row in enumerate(details, start=1)]
    name = store.community_name(conn, community_code)
    kpis = compute_kpis(list(facts.values()), as_of=as_of)
    patrol = community_days(conn, community_code, period.first, period.last)
    return Ledger(community_code, name, period.first, lines, kpis, patrol)
