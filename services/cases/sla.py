"""SLA arithmetic of the sweeper (超期预警、超期、督办升级): which running time limits of a case
are due for a warning, an overdue mark or an escalation at an instant. Pure: the caller gives
the calendar the case's limits are counted on; nothing is read or written here.

Rules:
- a limit runs from the (latest) dispatch to its due time; "acknowledge" while the case is
  dispatched, "resolve" while it is dispatched or acknowledged (`flags.LIMIT_STATES`);
- warning (预警) once per due time, when 80 % of the limit's counted time has elapsed and the
  due time has not passed yet;
- overdue (超期) once, at the due time;
- escalation (督办): one level per further full limit past the due time — level 1 (street)
  after one more limit, level 2 (district) after two; never down, never above 2. With two
  overdue limits the one further behind decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.domain.calendar import TimeCalendar
from services.domain.flags import LIMIT_STATES
from services.domain.states import CaseState

WARN_FRACTION = 0.8
LEVELS = ("department", "street", "district")
TOP_LEVEL = len(LEVELS) - 1


@dataclass(frozen=True)
class RunningLimit:
    """One time limit running on a case: `limit` is "acknowledge" or "resolve"."""

    limit: str
    started: datetime
    due: datetime
    warned: bool
    overdue: bool


@dataclass(frozen=True)
class SlaActions:
    """What the sweeper must record now: warnings, overdue marks and the escalation level
    the case must reach (equal to its current level when nothing is to escalate)."""

    warn: tuple[RunningLimit, ...] = ()
    overdue: tuple[RunningLimit, ...] = ()
    escalation_level: int = 0
    current_level: int = 0

    @property
    def anything(self) -> bool:
        """True when at least one flag is to be recorded."""
        return bool(self.warn or self.overdue or self.escalation_level > self.current_level)


def running_limits(
    state: str,
    *,
    dispatched_at: datetime | None,
    ack_due: datetime | None,
    resolve_due: datetime | None,
    ack_warned_due: datetime | None = None,
    resolve_warned_due: datetime | None = None,
    ack_overdue: bool = False,
    resolve_overdue: bool = False,
) -> list[RunningLimit]:
    """The limits running on a case in `state` (none without a dispatch time). A limit counts
    as warned when the warning was raised for its current due time."""
    if dispatched_at is None:
        return []
    out = []
    state = CaseState(state)
    for name, due, warned_due, overdue in (
        ("acknowledge", ack_due, ack_warned_due, ack_overdue),
        ("resolve", resolve_due, resolve_warned_due, resolve_overdue),
    ):
        if due is not None and state in LIMIT_STATES[name]:
            out.append(RunningLimit(name, dispatched_at, due, warned_due == due, overdue))
    return out


def sla_actions(
    limits: list[RunningLimit], *, calendar: TimeCalendar, now: datetime, escalation_level: int
) -> SlaActions:
    """What is due at `now` for these limits, their time counted on `calendar` (working
    time, or clock time for around-the-clock categories); see the module rules."""
    warn, overdue, level = [], [], escalation_level
    for lim in limits:
        length = calendar.between(lim.started, lim.due)
        if now >= lim.due:
            if not lim.overdue:
                overdue.append(lim)
            if length.total_seconds() > 0:
                behind = calendar.between(lim.due, now) / length
                level = max(level, min(TOP_LEVEL, int(behind)))
        elif not lim.warned and length.total_seconds() > 0:
            if calendar.between(lim.started, now) >= length * WARN_FRACTION:
                warn.append(lim)
    return SlaActions(tuple(warn), tuple(overdue), level, escalation_level)
