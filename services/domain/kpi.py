"""KPI arithmetic (综合评价) over case facts: closure, on-time closure, rework, extension,
durations and satisfaction. Pure: the caller loads `KpiFacts` and passes `as_of` (the instant
the report is for) and optionally a calendar to measure durations in working time.

Definitions (a ratio whose denominator is zero is None, never an exception):
- population: cases that entered the loop — every state but reported, rejected and merged
  (a report closed on the spot counts);
- 结案率 closure rate = closed / population;
- 应结案 due for closure = closed cases plus open cases whose resolve due time is at or before
  `as_of`; 延期 postponed = those with an approved extension;
- 按期结案率 on-time closure = closed on time / (due for closure − postponed), where "closed on
  time" is a closed, non-postponed case whose last resolution (or its closure, when handled
  on the spot) came at or before its resolve due time, or that had no due time;
- 返工率 rework rate = failed verifications / resolutions (every resolve counts, reworks too);
- 延期率 extension rate = postponed cases / dispatched cases;
- durations: acknowledge = first acknowledgement − first dispatch, resolve = last resolution −
  first dispatch, close = closure − report; each as median (mean of the two middle values for an
  even count) and p90 (nearest rank: the ⌈0.9·n⌉-th smallest);
- 满意率 satisfaction rate = (满意 + 基本满意) / rated cases; `full_satisfaction_rate` is
  满意 alone / rated cases;
- 上报数 filed: every case, outside the loop too; 自行处置 on the spot and 巡查发现 found on
  patrol: cases in the loop handled on the spot by the grid worker who filed them, and filed
  by a grid worker at all (the hotline's and Open311's have no worker);
- 督办数 supervisions and 催办数 urgings: how many times the cases were supervised or urged by
  hand (a case pressed twice counts twice); 督办未办结 supervised unhandled: the cases
  supervised at least once that are not handled (resolved or closed) as of the report;
- 回访后满意率 satisfaction after revisit = (满意 + 基本满意 + 不满意 ratings whose revisit
  (回访) left the reporter satisfied or basically satisfied) / rated cases; `revisited` counts
  the 不满意 ratings whose revisit recorded the reporter's satisfaction after the call.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from enum import StrEnum

from services.domain.calendar import TimeCalendar
from services.domain.events import (
    CaseAcknowledged,
    CaseClosed,
    CaseDispatched,
    CaseResolved,
    CaseReworked,
    CaseSupervised,
    CaseUrged,
    DomainEvent,
    ExtensionApproved,
    Satisfaction,
)
from services.domain.order_stats import median, percentile, ratio
from services.domain.states import CaseState, is_handled

OUTSIDE_LOOP = frozenset({CaseState.reported, CaseState.rejected, CaseState.merged})


class Fold(StrEnum):
    """How a case's events of one type fold into one of its facts."""

    first = "first"  # the earliest instant of such an event
    last = "last"  # the latest instant
    seen = "seen"  # whether there was one at all
    count = "count"  # how many there were


@dataclass(frozen=True)
class FactRule:
    """One fact of `KpiFacts` kept from the case's history: the `event` it folds, and how."""

    fact: str
    event: type[DomainEvent]
    fold: Fold


# The facts a case's history gives, defined here once: the store generates the SQL that keeps
# them as events are written (services.store.cases.facts), and nothing else states them.
FACT_RULES: tuple[FactRule, ...] = (
    FactRule("dispatched_at", CaseDispatched, Fold.first),
    FactRule("acknowledged_at", CaseAcknowledged, Fold.first),
    FactRule("resolved_at", CaseResolved, Fold.last),
    FactRule("closed_at", CaseClosed, Fold.last),
    FactRule("postponed", ExtensionApproved, Fold.seen),
    FactRule("resolutions", CaseResolved, Fold.count),
    FactRule("failed_verifications", CaseReworked, Fold.count),
    FactRule("supervisions", CaseSupervised, Fold.count),
    FactRule("urgings", CaseUrged, Fold.count),
)


def fold_events(events: Iterable[DomainEvent], facts: dict[str, object] | None = None) -> dict:
    """The facts of `FACT_RULES` after `events` (any order) are added to `facts` (a case's
    facts so far; none when omitted): the earliest or latest instant, seen or not, a count.
    The meaning the store's SQL keeps; a fact no event touched stays as it was."""
    events = list(events)
    out: dict[str, object] = dict(facts or {})
    for rule in FACT_RULES:
        ats = [e.at for e in events if type(e) is rule.event]
        old = out.get(rule.fact)
        if rule.fold is Fold.count:
            out[rule.fact] = (old or 0) + len(ats)
        elif rule.fold is Fold.seen:
            out[rule.fact] = bool(old) or bool(ats)
        elif ats:
            pick = min if rule.fold is Fold.first else max
            out[rule.fact] = pick([*ats, old]) if old is not None else pick(ats)
        else:
            out.setdefault(rule.fact, None)
    return out


@dataclass(frozen=True)
class KpiFacts:
    """What the KPIs need to know about one case; loaded by the reporting query."""

    case_id: str
    state: CaseState
    reported_at: datetime
    department_code: str | None = None
    dispatched_at: datetime | None = None  # first dispatch
    acknowledged_at: datetime | None = None  # first acknowledgement
    resolved_at: datetime | None = None  # last resolution
    closed_at: datetime | None = None
    resolve_due: datetime | None = None  # after any approved extension
    postponed: bool = False  # an extension was approved
    resolutions: int = 0
    failed_verifications: int = 0
    supervisions: int = 0  # supervisions by hand (督办)
    urgings: int = 0  # urgings (催办)
    rating: Satisfaction | None = None
    revisit_rating: Satisfaction | None = None  # the reporter's, after a revisit (回访)
    worker_id: int | None = None  # the grid worker who filed the report (网格员)
    on_spot: bool = False  # the worker handled it on the spot (自行处置)


@dataclass(frozen=True)
class Kpis:
    """The figures for one set of cases. Rates are fractions in [0, 1] or None."""

    cases: int
    closed: int
    closure_rate: float | None
    due_for_closure: int
    postponed: int
    closed_on_time: int
    on_time_closure_rate: float | None
    resolutions: int
    failed_verifications: int
    rework_rate: float | None
    dispatched: int
    extended: int  # dispatched cases with an approved extension
    extension_rate: float | None
    acknowledge_median: timedelta | None
    acknowledge_p90: timedelta | None
    resolve_median: timedelta | None
    resolve_p90: timedelta | None
    close_median: timedelta | None
    close_p90: timedelta | None
    rated: int
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    satisfaction_rate: float | None
    full_satisfaction_rate: float | None
    revisited: int
    satisfied_after_revisit: int
    satisfaction_after_revisit_rate: float | None
    supervisions: int = 0
    urgings: int = 0
    filed: int = 0  # every case, in the loop or not (上报数)
    on_spot: int = 0  # in the loop, handled on the spot by the worker
    patrol_found: int = 0  # in the loop, filed by a grid worker (巡查发现)
    supervised_unhandled: int = 0  # supervised cases the department has not handled yet
    closed_postponed: int = 0  # closed cases with an approved extension

    def as_dict(self) -> dict[str, int | float | None]:
        """Every figure, JSON-ready: durations as seconds (float), rates as fractions."""
        out: dict[str, int | float | None] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.total_seconds() if isinstance(value, timedelta) else value
        return out


def _on_time(fact: KpiFacts) -> bool:
    if fact.resolve_due is None:
        return True
    finished = fact.resolved_at or fact.closed_at
    return finished is not None and finished <= fact.resolve_due


def verdict(fact: KpiFacts, as_of: datetime) -> tuple[bool, bool]:
    """(due for closure as of `as_of`, closed on time) of one case, as the KPIs count it (a
    case outside the loop is neither); a ledger line shows them."""
    if CaseState(fact.state) in OUTSIDE_LOOP:
        return False, False
    closed = CaseState(fact.state) is CaseState.closed
    due = closed or (fact.resolve_due is not None and fact.resolve_due <= as_of)
    return due, closed and not fact.postponed and _on_time(fact)


def compute_kpis(
    facts: Iterable[KpiFacts], *, as_of: datetime, calendar: TimeCalendar | None = None
) -> Kpis:
    """The KPIs of `facts` as of the instant `as_of`; durations in working time when a
    `calendar` is given, in absolute time otherwise. Called by reports and dashboards with the
    cases of one department, area or period. Guarantees: no exception on empty input or zero
    denominators (the rate is None); the definitions are those in this module's docstring."""
    facts = list(facts)
    cases = [f for f in facts if CaseState(f.state) not in OUTSIDE_LOOP]

    def span(a: datetime | None, b: datetime | None) -> timedelta | None:
        if a is None or b is None:
            return None
        return calendar.between(a, b) if calendar is not None else b - a

    def is_closed(f: KpiFacts) -> bool:
        return CaseState(f.state) is CaseState.closed

    verdicts = [(f, *verdict(f, as_of)) for f in cases]
    closed = [f for f in cases if is_closed(f)]
    due = [f for f, is_due, _ in verdicts if is_due]
    postponed_due = [f for f in due if f.postponed]
    on_time = [f for f, _, in_time in verdicts if in_time]
    dispatched = [f for f in cases if f.dispatched_at is not None]
    postponed = [f for f in dispatched if f.postponed]
    resolutions = sum(f.resolutions for f in cases)
    failed = sum(f.failed_verifications for f in cases)
    supervisions = sum(f.supervisions for f in cases)
    urgings = sum(f.urgings for f in cases)

    def spans(pairs: Iterable[tuple[datetime | None, datetime | None]]) -> list[timedelta]:
        return [d for d in (span(a, b) for a, b in pairs) if d is not None]

    ack = spans((f.dispatched_at, f.acknowledged_at) for f in cases)
    res = spans((f.dispatched_at, f.resolved_at) for f in cases)
    close = spans((f.reported_at, f.closed_at) for f in closed)
    ratings = [Satisfaction(f.rating) for f in cases if f.rating is not None]
    sat = ratings.count(Satisfaction.satisfied)
    basic = ratings.count(Satisfaction.basically_satisfied)
    revisited = [f for f in cases if f.rating == Satisfaction.dissatisfied and f.revisit_rating]
    better = [f for f in revisited if f.revisit_rating != Satisfaction.dissatisfied]
    return Kpis(
        cases=len(cases),
        closed=len(closed),
        closure_rate=ratio(len(closed), len(cases)),
        due_for_closure=len(due),
        postponed=len(postponed_due),
        closed_on_time=len(on_time),
        on_time_closure_rate=ratio(len(on_time), len(due) - len(postponed_due)),
        resolutions=resolutions,
        failed_verifications=failed,
        rework_rate=ratio(failed, resolutions),
        dispatched=len(dispatched),
        extended=len(postponed),
        extension_rate=ratio(len(postponed), len(dispatched)),
        acknowledge_median=median(ack),
        acknowledge_p90=percentile(ack, 90),
        resolve_median=median(res),
        resolve_p90=percentile(res, 90),
        close_median=median(close),
        close_p90=percentile(close, 90),
        rated=len(ratings),
        satisfied=sat,
        basically_satisfied=basic,
        dissatisfied=ratings.count(Satisfaction.dissatisfied),
        satisfaction_rate=ratio(sat + basic, len(ratings)),
        full_satisfaction_rate=ratio(sat, len(ratings)),
        revisited=len(revisited),
        satisfied_after_revisit=len(better),
        satisfaction_after_revisit_rate=ratio(sat + basic + len(better), len(ratings)),
        supervisions=supervisions,
        urgings=urgings,
        filed=len(facts),
        on_spot=sum(1 for f in cases if f.on_spot),
        patrol_found=sum(1 for f in cases if f.worker_id is not None),
        supervised_unhandled=sum(1 for f in cases if f.supervisions and not is_handled(f.state)),
        closed_postponed=sum(1 for f in closed if f.postponed),
    )


def kpis_by(
    facts: Iterable[KpiFacts],
    key: Callable[[KpiFacts], Hashable],
    *,
    as_of: datetime,
    calendar: TimeCalendar | None = None,
) -> dict[Hashable, Kpis]:
    """`compute_kpis` per group, e.g. `key=lambda f: f.department_code` for the department
    league table. Groups appear in first-seen order; a group with only cases outside the loop
    still appears, with zero counts."""
    groups: dict[Hashable, list[KpiFacts]] = {}
    for fact in facts:
        groups.setdefault(key(fact), []).append(fact)
    return {k: compute_kpis(v, as_of=as_of, calendar=calendar) for k, v in groups.items()}
