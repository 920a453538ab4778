"""The department's command handlers: acknowledge (签收), return (退回), resolve (处置完毕)
and request an extension (延期申请).

Each takes a unit of work, locks the case, lets the domain decide (`states.apply`,
`flags.request_extension`) and writes the outcome with its events (case history + outbox);
the caller commits. Refusals: `ActionNotAllowed` (with the allowed actions), `InvalidCommand`
naming the field, `UnknownCase`. Whether the caller may act on the case (its department holds
it) is checked by the caller before.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.calendars import Calendars
from services.cases.commands import (
    AcknowledgeCase,
    Handled,
    RequestExtension,
    ResolveCase,
    ReturnCase,
)
from services.cases.errors import InvalidCommand
from services.cases.evidence import photo_ids, store_evidence
from services.cases.refusals import case_facts as facts
from services.cases.refusals import domain_refusals, flag_facts, lapse_extension, locked_case
from services.cases.uow import UnitOfWork
from services.domain import flags
from services.domain.states import CaseAction, apply
from services.store.cases import handling as store
from services.store.cases import rows


def acknowledge_case(uow: UnitOfWork, cmd: AcknowledgeCase, *, now: datetime) -> Handled:
    """Signs for a dispatched case: it becomes `acknowledged` at `now`; its acknowledge limit
    stops running, its resolve limit runs on."""
    case = locked_case(uow, cmd.case_id, department_code=cmd.department_code)
    with domain_refusals(case, CaseAction.acknowledge.value):
        done = apply(facts(case), CaseAction.acknowledge, actor=cmd.actor, at=now)
    rows.save_case(uow.conn, case.id, state=done.new_state.value, acknowledged_at=now)
    uow.record(case.id, done.events)
    return Handled(case.id, done.new_state.value, tuple(e.type for e in done.events))


def return_case(uow: UnitOfWork, cmd: ReturnCase, *, now: datetime) -> Handled:
    """Returns a dispatched or acknowledged case to the operators' queue with the reason; a
    pending extension request lapses. The case keeps the department it came from (the
    re-dispatch records it as the previous one)."""
    case = locked_case(uow, cmd.case_id, department_code=cmd.department_code)
    with domain_refusals(case, CaseAction.return_.value):
        done = apply(facts(case), CaseAction.return_, actor=cmd.actor, at=now, reason=cmd.reason)
    lapse_extension(uow, case.id, now, "the case was returned")
    rows.save_case(uow.conn, case.id, state=done.new_state.value)
    uow.record(case.id, done.events)
    return Handled(case.id, done.new_state.value, tuple(e.type for e in done.events))


def resolve_case(
    uow: UnitOfWork,
    cmd: ResolveCase,
    *,
    now: datetime,
    media_dir: str,
    calendars: Calendars,
    verify_limit: timedelta,
) -> Handled:
    """Resolves an acknowledged case with a note and evidence photos, and opens the
    verification task of the case's cell, due `verify_limit` (counted on the category's
    calendar) from `now`. A pending extension request lapses. The photo files written are
    listed in `Handled.files` so the caller can remove them if its commit fails."""
    case = locked_case(uow, cmd.case_id, department_code=cmd.department_code)
    ids = photo_ids(cmd.photos)
    with domain_refusals(case, CaseAction.resolve.value):
        done = apply(
            facts(case), CaseAction.resolve, actor=cmd.actor, at=now, note=cmd.note, evidence=ids
        )
    lapse_extension(uow, case.id, now, "the case was resolved")
    rows.save_case(uow.conn, case.id, state=done.new_state.value, resolved_at=now)
    [envelope] = uow.record(case.id, done.events)
    files = store_evidence(
        uow.conn, media_dir, case_id=case.id, report_id=case.report_id,
        event_id=envelope["event_id"], kind="resolution", photos=cmd.photos, ids=ids,
        uploaded_by=cmd.actor,
    )  # fmt: skip
    calendar = calendars.for_category(case.around_the_clock)
    store.open_verification(uow.conn, case, created_at=now, due_at=calendar.add(now, verify_limit))
    return Handled(case.id, done.new_state.value, (envelope["type"],), files=tuple(files))


def request_case_extension(uow: UnitOfWork, cmd: RequestExtension, *, now: datetime) -> Handled:
    """Records the department's request for a later resolve due time. Refused when a request
    is pending, when the case is not with the department, without a reason, or when the
    requested time is not after both `now` and the current resolve due time."""
    case = locked_case(uow, cmd.case_id, department_code=cmd.department_code)
    with domain_refusals(case, "request_extension"):
        event = flags.request_extension(
            flag_facts(case), actor=cmd.actor, at=now, requested_due=cmd.requested_due,
            reason=cmd.reason,
        )  # fmt: skip
    if case.resolve_due is not None and cmd.requested_due <= case.resolve_due:
        raise InvalidCommand(
            "requested_due", f"must be later than the current due time {case.resolve_due}"
        )
    store.insert_extension(
        uow.conn, case_id=case.id, department_code=case.department_code,
        requested_by=cmd.actor, requested_at=now, requested_due=cmd.requested_due,
        previous_due=case.resolve_due, reason=cmd.reason,
    )  # fmt: skip
    uow.record(case.id, [event])
    return Handled(case.id, case.state, (event.type,))
