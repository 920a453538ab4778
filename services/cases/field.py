"""The grid worker's and the reporter's handlers: verify a resolved case on site (核查) and
rate a closed one (满意度).

Verification answers a task (`verification_task`, opened when the case was resolved): pass →
the case is closed; fail → it goes back to the same department as rework (rework count + 1,
new due times counted from now). The phone may send the same answer twice (its outbox
retries when an answer got lost): the same worker's same answer to a task already answered
returns the recorded outcome and changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from services.calendars import Calendars
from services.cases.commands import Handled, RateCase, VerifyCase
from services.cases.dispatching import due_from
from services.cases.errors import InvalidCommand
from services.cases.evidence import photo_ids, store_evidence
from services.cases.refusals import (
    TaskAnswered,
    UnknownTask,
    domain_refusals,
    flag_facts,
    locked_case,
)
from services.cases.refusals import case_facts as facts
from services.cases.revisits import open_revisit_if_dissatisfied
from services.cases.uow import UnitOfWork
from services.domain import flags
from services.domain.states import CaseAction, apply
from services.store.cases import handling as store
from services.store.cases import rows


def verify_case(
    uow: UnitOfWork, cmd: VerifyCase, *, calendars: Calendars, now: datetime, media_dir: str
) -> Handled:
    """Answers the verification task `cmd.task_id`. Raises `UnknownTask`, `TaskAnswered`
    (answered otherwise before, or cancelled), `InvalidCommand("photo")` for a failure without
    a photo, `ActionNotAllowed` when the case is no longer resolved."""
    task = store.get_task(uow.conn, cmd.task_id, for_update=True)
    if task is None or task["case_id"] is None:
        raise UnknownTask("task_id", f"no verification task {cmd.task_id}")
    if task["status"] == "done":
        if task["answered_by"] == cmd.worker_id and task["passed"] == cmd.passed:
            return Handled(task["case_id"], task["case_state"], replayed=True)
        raise TaskAnswered("task_id", f"verification task {cmd.task_id} was answered already")
    if task["status"] != "open":
        raise TaskAnswered("task_id", f"verification task {cmd.task_id} was {task['status']}")
    if not cmd.passed and not cmd.photos:
        raise InvalidCommand("photo", "a failed verification needs a photo of what is wrong")
    case = locked_case(uow, task["case_id"])
    ids = photo_ids(cmd.photos)
    if cmd.passed:
        with domain_refusals(case, CaseAction.verify_pass.value):
            done = apply(facts(case), CaseAction.verify_pass, actor=cmd.actor, at=now,
                         note=cmd.note)  # fmt: skip
        rows.save_case(uow.conn, case.id, state=done.new_state.value, closed_at=now)
    else:
        ack_due, resolve_due = due_from(uow, calendars, case, now)
        with domain_refusals(case, CaseAction.verify_fail.value):
            done = apply(facts(case), CaseAction.verify_fail, actor=cmd.actor, at=now,
                         note=cmd.note, ack_due=ack_due, resolve_due=resolve_due)  # fmt: skip
        rows.save_case(
            uow.conn, case.id, state=done.new_state.value, rework_count=done.rework_count,
            dispatched_at=now, acknowledged_at=None, ack_due=ack_due, resolve_due=resolve_due,
            ack_overdue=False, resolve_overdue=False,
        )  # fmt: skip
    envelopes = uow.record(case.id, done.events)
    files = store_evidence(
        uow.conn, media_dir, case_id=case.id, report_id=case.report_id,
        event_id=envelopes[0]["event_id"], kind="verification", photos=cmd.photos, ids=ids,
        uploaded_by=cmd.actor,
    )  # fmt: skip
    store.finish_task(uow.conn, task["id"], passed=cmd.passed, note=cmd.note, by=cmd.worker_id,
                      at=now)  # fmt: skip
    return Handled(
        case.id, done.new_state.value, tuple(e.type for e in done.events), files=tuple(files)
    )


def rate_case(
    uow: UnitOfWork, cmd: RateCase, *, now: datetime, calendars: Calendars, revisit_hours: float
) -> Handled:
    """Records the reporter's rating of a closed case (once); a 不满意 opens a revisit task
    (回访) due `revisit_hours` working hours later. Raises `ActionNotAllowed` for an open or
    already rated case, `InvalidCommand("rating")` for an unknown rating."""
    case = locked_case(uow, cmd.case_id)
    with domain_refusals(case, "rate"):
        event = flags.rate(
            flag_facts(case), rating=cmd.rating, actor=cmd.actor, at=now, comment=cmd.comment
        )
    store.insert_rating(uow.conn, case.id, rating=event.rating.value, comment=cmd.comment,
                        by=cmd.actor, at=now)  # fmt: skip
    events = [event, *open_revisit_if_dissatisfied(
        uow, case, event.rating, actor=cmd.actor, now=now, calendars=calendars,
        working_hours=revisit_hours)]  # fmt: skip
    uow.record(case.id, events)
    return Handled(case.id, case.state, tuple(e.type for e in events))
