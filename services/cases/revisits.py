"""The revisit (回访) handlers: a 不满意 rating opens a revisit task (called by `rate_case`);
the operator's call-back closes it with a note, or re-opens the case to the department that
resolved it as rework (rework count + 1, new due times counted from now, a verification again
once it is resolved). Both record their events (history, outbox: the live feed and the audit
trail pick them up); the caller commits."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.calendars import Calendars
from services.cases.commands import CloseRevisit, Handled
from services.cases.dispatching import due_from
from services.cases.refusals import case_facts, domain_refusals, flag_facts, locked_case
from services.cases.uow import UnitOfWork
from services.domain import revisits
from services.domain.events import Satisfaction
from services.domain.states import CaseAction, apply
from services.store.cases import revisits as store
from services.store.cases import rows
from services.store.cases.rows import Case


def open_revisit_if_dissatisfied(
    uow: UnitOfWork, case: Case, rating: Satisfaction, *, actor: str, now: datetime,
    calendars: Calendars, working_hours: float,
) -> list:  # fmt: skip
    """After a rating of the locked `case`: opens its revisit task when the rating is 不满意,
    due `working_hours` later on the working calendar. Returns the events to record."""
    due = calendars.working.add(now, timedelta(hours=working_hours))
    opened = revisits.open_revisit(flag_facts(case), rating=rating, actor=actor, at=now, due=due)
    if opened is None:
        return []
    store.open_revisit(uow.conn, case.id, at=now, due=due)
    return [opened]


def close_revisit(
    uow: UnitOfWork, cmd: CloseRevisit, *, calendars: Calendars, now: datetime
) -> Handled:
    """Closes the case's open revisit. Raises `ActionNotAllowed` when it has none (or the case
    is not closed), `InvalidCommand` naming the outcome, note or rating_after at fault."""
    case = locked_case(uow, cmd.case_id)
    status = store.revisit_status(uow.conn, case.id)
    with domain_refusals(case, "revisit"):
        closed = revisits.close_revisit(
            flag_facts(case), revisit_open=status == "open", outcome=cmd.outcome, note=cmd.note,
            rating_after=cmd.rating_after, actor=cmd.actor, at=now,
        )  # fmt: skip
    events: list = [closed]
    state = case.state
    if cmd.outcome == "rework":
        ack_due, resolve_due = due_from(uow, calendars, case, now)
        with domain_refusals(case, CaseAction.revisit_rework.value):
            done = apply(case_facts(case), CaseAction.revisit_rework, actor=cmd.actor, at=now,
                         ack_due=ack_due, resolve_due=resolve_due)  # fmt: skip
        rows.save_case(
            uow.conn, case.id, state=done.new_state.value, rework_count=done.rework_count,
            dispatched_at=now, acknowledged_at=None, closed_at=None, ack_due=ack_due,
            resolve_due=resolve_due, ack_overdue=False, resolve_overdue=False,
        )  # fmt: skip
        events += done.events
        state = done.new_state.value
    store.finish_revisit(
        uow.conn, case.id, status="reworked" if cmd.outcome == "rework" else "closed",
        note=closed.note, rating_after=cmd.rating_after, by=cmd.actor, at=now,
    )  # fmt: skip
    uow.record(case.id, events)
    return Handled(case.id, state, tuple(e.type for e in events))
