"""The SLA sweep: warn, mark overdue and escalate every case whose time limits call for it.

`sweep_case` is the handler of one `SweepCase` command (one unit of work). `sweep` is what the
scheduler runs: it takes a PostgreSQL advisory lock first, so however many scheduler processes
run, at most one sweep is active at a time (the others skip their turn); it then scans the
cases departments hold, decides in memory which need something (`services.cases.sla`) and
sends each of those its command in its own transaction, which re-checks under the row lock.
Sweeping twice at the same instant records nothing the second time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Engine

from services.calendars import Calendars
from services.cases.commands import Handled, SweepCase
from services.cases.refusals import flag_facts, locked_case
from services.cases.sla import LEVELS, RunningLimit, SlaActions, running_limits, sla_actions
from services.cases.uow import UnitOfWork
from services.domain import flags
from services.store.cases import rows
from services.store.db import release_session_lock, try_session_lock

log = logging.getLogger(__name__)

SWEEP_LOCK = 0x736C6173  # "slas": the advisory lock key of the sweep
_PREFIX = {"acknowledge": "ack", "resolve": "resolve"}


@dataclass(frozen=True)
class SweepReport:
    """One sweep: cases scanned, cases changed, events recorded, cases that failed."""

    scanned: int
    changed: int
    events: int
    failed: int


def due_actions(case: rows.Case, calendars: Calendars, now: datetime) -> SlaActions:
    """What the sweep must record on `case` at `now`."""
    limits = running_limits(
        case.state, dispatched_at=case.dispatched_at, ack_due=case.ack_due,
        resolve_due=case.resolve_due, ack_warned_due=case.ack_warned_due,
        resolve_warned_due=case.resolve_warned_due, ack_overdue=case.ack_overdue,
        resolve_overdue=case.resolve_overdue,
    )  # fmt: skip
    return sla_actions(
        limits, calendar=calendars.for_category(case.around_the_clock), now=now,
        escalation_level=case.escalation_level,
    )  # fmt: skip


def sweep_case(uow: UnitOfWork, cmd: SweepCase, *, calendars: Calendars, now: datetime) -> Handled:
    """Records the warnings, overdue marks and escalations due on one case at `now`
    (`CaseWarned`, `CaseOverdue`, `CaseEscalated` events by the system). Idempotent."""
    case = locked_case(uow, cmd.case_id)
    todo = due_actions(case, calendars, now)
    facts = flag_facts(case)
    events, changes = [], {}
    for lim in todo.warn:
        events.append(flags.warn(facts, limit=lim.limit, due=lim.due, at=now))
        changes[f"{_PREFIX[lim.limit]}_warned_due"] = lim.due
    for lim in todo.overdue:
        events.append(flags.mark_overdue(facts, limit=lim.limit, due=lim.due, at=now))
        changes[f"{_PREFIX[lim.limit]}_overdue"] = True
    level = case.escalation_level
    while level < todo.escalation_level:
        event = flags.escalate(
            replace(facts, escalation_level=level), actor=None, at=now,
            reason=_why(case, todo.overdue or _overdue_limits(case), level + 1),
        )  # fmt: skip
        events.append(event)
        level = event.level
    if level != case.escalation_level:
        changes["escalation_level"] = level
    if changes:
        rows.save_case(uow.conn, case.id, **changes)
        uow.record(case.id, events)
    return Handled(case.id, case.state, tuple(e.type for e in events))


def sweep(engine: Engine, *, calendars: Calendars, now: datetime) -> SweepReport | None:
    """One sweep at `now`, or None when another sweep holds the lock. A case whose command
    fails is logged and counted; the others are still swept."""
    with engine.connect() as lock_conn:
        if not try_session_lock(lock_conn, SWEEP_LOCK):
            lock_conn.rollback()
            return None
        try:
            cases = rows.cases_held_by_departments(lock_conn)
            lock_conn.commit()
            changed = events = failed = 0
            for case in cases:
                if not due_actions(case, calendars, now).anything:
                    continue
                try:
                    with UnitOfWork(engine) as uow:
                        done = sweep_case(uow, SweepCase(case.id), calendars=calendars, now=now)
                        uow.commit()
                except Exception:
                    log.exception("SLA sweep of case %s failed", case.id)
                    failed += 1
                    continue
                changed += bool(done.events)
                events += len(done.events)
            return SweepReport(len(cases), changed, events, failed)
        finally:
            lock_conn.rollback()
            release_session_lock(lock_conn, SWEEP_LOCK)
            lock_conn.commit()


def _overdue_limits(case: rows.Case) -> tuple[RunningLimit, ...]:
    return tuple(
        lim
        for lim in running_limits(
            case.state,
            dispatched_at=case.dispatched_at,
            ack_due=case.ack_due,
            resolve_due=case.resolve_due,
            ack_overdue=case.ack_overdue,
            resolve_overdue=case.resolve_overdue,
        )  # fmt: skip
        if lim.overdue
    )


def _why(case: rows.Case, limits: tuple[RunningLimit, ...], level: int) -> str:
    where = {1: case.street_code, 2: case.district_code}.get(level) or ""
    which = ", ".join(f"{lim.limit} (due {lim.due.isoformat()})" for lim in limits) or "limit"
    return f"overdue: {which}; escalated to the {LEVELS[level]} level {where}".strip()
