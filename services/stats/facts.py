"""Loading the facts the KPIs are computed from.

A period is a range of local dates [first, last] in the working-time zone; the population is
the cases whose report was received in it. Each case's figures come from its history: first
dispatch, first acknowledgement, last resolution, closure, resolutions, failed verifications
(reworks), an approved extension, supervisions (督办) and urgings (催办) — kept per case in
`case_fact` by the database as the events are written; its resolve due time is the current
one (after any extension or rework) and its rating the reporter's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from services.domain.calendar import DEFAULT_TIMEZONE
from services.domain.events import Satisfaction
from services.domain.kpi import KpiFacts
from services.domain.states import CaseState
from services.store.kpi_facts import fact_rows


@dataclass(frozen=True)
class Period:
    """Local dates `first` to `last` inclusive, in `zone`."""

    first: date
    last: date
    zone: str = DEFAULT_TIMEZONE

    @property
    def start(self) -> datetime:
        """The first instant of the period (local midnight of `first`), in UTC."""
        return datetime.combine(self.first, time(), ZoneInfo(self.zone)).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The instant after the period (local midnight after `last`), in UTC."""
        return datetime.combine(self.last + timedelta(days=1), time(), ZoneInfo(self.zone)) \
            .astimezone(UTC)  # fmt: skip

    def as_of(self, now: datetime) -> datetime:
        """The instant the KPIs are computed for: the period's end, or `now` if earlier."""
        return min(self.end, now)


@dataclass(frozen=True)
class CaseFigures:
    """The KPI facts of one case and where it belongs."""

    facts: KpiFacts
    department_code: str | None
    community_code: str | None
    street_code: str | None
    district_code: str | None


def load_figures(
    conn: Connection, period: Period, where: str = "TRUE", params: dict[str, Any] | None = None
) -> list[CaseFigures]:
    """The figures of every case received in `period` matching `where` (SQL over alias `c`,
    with its `params`)."""
    rows = fact_rows(conn, period.start, period.end, where, params or {})
    return [_figures(r) for r in rows]


def kpi_facts_of(row: Any) -> KpiFacts:
    """One case's `KpiFacts` from a row with kpi_facts.FACTS_SQL's columns."""
    return KpiFacts(
        case_id=row["case_id"],
        state=CaseState(row["state"]),
        reported_at=row["created_at"],
        department_code=row["department_code"],
        dispatched_at=row["dispatched_at"],
        acknowledged_at=row["acknowledged_at"],
        resolved_at=row["resolved_at"],
        closed_at=row["closed_at"],
        resolve_due=row["resolve_due"],
        postponed=bool(row["postponed"]),
        resolutions=row["resolutions"],
        failed_verifications=row["failed_verifications"],
        supervisions=row["supervisions"],
        urgings=row["urgings"],
        rating=Satisfaction(row["rating"]) if row["rating"] else None,
        revisit_rating=Satisfaction(row["revisit_rating"]) if row["revisit_rating"] else None,
        worker_id=row["worker_id"],
        on_spot=bool(row["on_spot"]),
    )


def _figures(row: Any) -> CaseFigures:
    facts = kpi_facts_of(row)
    return CaseFigures(
        facts, row["department_code"], row["community_code"], row["street_code"],
        row["district_code"],
    )  # fmt: skip
