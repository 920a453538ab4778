"""The command center's handlers: register (立案) or reject (不予立案) a report waiting for an
operator, dispatch and re-dispatch by hand, merge a duplicate, decide an extension request,
moderate a report.

Same pattern as every handler: a unit of work in, the domain decides, the outcome and its
events written, the caller commits. Whether the operator's jurisdiction covers the case is
checked by the caller before.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import text

from services.dispatch.casework import (
    DecideExtension,
    Handled,
    MergeCase,
    ModerateReport,
    RegisterCase,
    RejectCase,
)
from services.dispatch.commands import DispatchCase
from services.dispatch.errors import InvalidCommand, UnknownCase, UnknownReport
from services.dispatch.handlers import dispatch_case
from services.dispatch.refusals import case_facts as facts
from services.dispatch.refusals import (
    domain_refusals,
    flag_facts,
    locked_case,
    still_open,
)
from services.dispatch.timing import Calendars
from services.dispatch.uow import UnitOfWork
from services.domain import flags
from services.domain.events import ExtensionApproved
from services.domain.states import CaseAction, CaseState, apply
from services.store import cases as case_store
from services.store import departments as dept_store
from services.store import handling as store


def waiting_case(uow: UnitOfWork, report_id) -> store.HandlingCase:
    """The case of a report, locked; a report the router has not turned into a case yet gets
    one in state `reported` (waiting for an operator). Raises `UnknownReport`."""
    conn = uow.conn
    report = store.report_row(conn, report_id)
    if report is None:
        raise UnknownReport("report_id", f"no report {report_id}")
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('gridflow-report:' || :r))"),
                 {"r": str(report_id)})  # fmt: skip
    case_id = store.case_id_of(conn, report_id=report_id)
    if case_id is None:
        case_id = uuid.uuid4()
        case_store.insert_case(conn, {
            "id": case_id, "case_no": report["case_no"], "report_id": report["id"],
            "state": CaseState.reported.value, "category_code": report["category_code"],
            "priority": report["priority"], "around_the_clock": report["around_the_clock"],
            "cell_id": report["cell_id"], "cell_code": report["cell_code"],
            "grid_version": report["grid_version"], "community_code": report["community_code"],
            "street_code": report["street_code"], "district_code": report["district_code"],
            "created_at": report["received_at"], "lat": report["lat"], "lng": report["lng"],
        })  # fmt: skip
    return locked_case(uow, case_id, "report_id")


def register_case(
    uow: UnitOfWork, cmd: RegisterCase, *, calendars: Calendars, now: datetime
) -> Handled:
    """Registers a waiting report's case and dispatches it (to the department named, or by
    the routing rules, which may leave it registered in the operators' queue)."""
    case = waiting_case(uow, cmd.report_id)
    with domain_refusals(case, CaseAction.register.value):
        done = apply(facts(case), CaseAction.register, actor=cmd.actor, at=now)
    store.set_case(uow.conn, case.id, state=done.new_state.value, registered_at=now)
    uow.record(case.id, done.events)
    sent = dispatch_case(
        uow, DispatchCase(case.id, cmd.department_code, cmd.actor), calendars=calendars, now=now
    )
    events = (*(e.type for e in done.events), *(["CaseDispatched"] if sent.department_code else []))
    return Handled(case.id, sent.state or done.new_state.value, events)


def reject_case(uow: UnitOfWork, cmd: RejectCase, *, now: datetime) -> Handled:
    """Refuses a waiting report (不予立案) with the reason; its case ends `rejected`."""
    case = waiting_case(uow, cmd.report_id)
    with domain_refusals(case, CaseAction.reject.value):
        done = apply(facts(case), CaseAction.reject, actor=cmd.actor, at=now, reason=cmd.reason)
    store.set_case(uow.conn, case.id, state=done.new_state.value)
    uow.record(case.id, done.events)
    return Handled(case.id, done.new_state.value, tuple(e.type for e in done.events))


def redispatch_case(
    uow: UnitOfWork, cmd: DispatchCase, *, calendars: Calendars, now: datetime
) -> Handled:
    """Dispatches a registered or returned case by hand, or moves a dispatched one to another
    department (`services.dispatch.handlers.dispatch_case`); a pending extension request of
    the department that had it lapses."""
    case = locked_case(uow, cmd.case_id)
    with domain_refusals(case, CaseAction.dispatch.value):
        sent = dispatch_case(uow, cmd, calendars=calendars, now=now)
    if sent.department_code != case.department_code:
        pending = store.pending_extension(uow.conn, case.id)
        if pending is not None:
            store.close_extension(uow.conn, pending["id"], status="lapsed", decided_at=now,
                                  decision_reason="the case was re-dispatched")  # fmt: skip
    events = ("CaseDispatched",) if sent.department_code else ()
    return Handled(case.id, sent.state or case.state, events)


def merge_case(uow: UnitOfWork, cmd: MergeCase, *, now: datetime) -> Handled:
    """Merges a waiting report's case into the open case `duplicate_of` (whose duplicate count
    grows)."""
    first, second = sorted([cmd.case_id, cmd.duplicate_of], key=str)
    locked = {first: store.load_case(uow.conn, first, for_update=True)}
    if second != first:
        locked[second] = store.load_case(uow.conn, second, for_update=True)
    case, target = locked.get(cmd.case_id), locked.get(cmd.duplicate_of)
    if case is None:
        raise UnknownCase("case_id", f"no case {cmd.case_id}")
    if target is None:
        raise UnknownCase("duplicate_of", f"no case {cmd.duplicate_of}")
    if target.id != case.id and (not still_open(target) or target.merged_into is not None):
        raise InvalidCommand("duplicate_of", f"case {target.case_no} is not open")
    with domain_refusals(case, CaseAction.merge.value):
        done = apply(facts(case), CaseAction.merge, actor=cmd.actor, at=now,
                     duplicate_of=str(target.id))  # fmt: skip
    store.set_case(uow.conn, case.id, state=done.new_state.value, merged_into=target.id)
    case_store.add_duplicate(uow.conn, target.id)
    uow.record(case.id, done.events)
    return Handled(case.id, done.new_state.value, tuple(e.type for e in done.events))


def decide_case_extension(uow: UnitOfWork, cmd: DecideExtension, *, now: datetime) -> Handled:
    """Approves (the resolve due time becomes the new one, default the time asked for; an
    overdue mark it ends is cleared) or rejects (reason required) the pending request."""
    case = locked_case(uow, cmd.case_id)
    pending = store.pending_extension(uow.conn, case.id)
    new_due = cmd.new_due or (pending["requested_due"] if pending and cmd.approve else None)
    action = "approve_extension" if cmd.approve else "reject_extension"
    with domain_refusals(case, action):
        event = flags.decide_extension(
            flag_facts(case), approve=cmd.approve, actor=cmd.actor, at=now, new_due=new_due,
            reason=cmd.reason,
        )  # fmt: skip
    if isinstance(event, ExtensionApproved):
        if new_due <= now:
            raise InvalidCommand("new_due", "must be later than now")
        store.set_case(
            uow.conn, case.id, resolve_due=new_due, resolve_overdue=False,
            extension_count=case.extension_count + 1,
        )  # fmt: skip
    store.close_extension(
        uow.conn, pending["id"], status="approved" if cmd.approve else "rejected",
        decided_by=cmd.actor, decided_at=now, decision_reason=cmd.reason or None,
        new_due=new_due if cmd.approve else None,
    )  # fmt: skip
    uow.record(case.id, [event])
    return Handled(case.id, case.state, (event.type,))


def moderate_report(uow: UnitOfWork, cmd: ModerateReport, *, now: datetime) -> dict:
    """Sets a report's moderation flags (hidden / redacted text / hidden photos) and audits
    the change with its reason. Returns the flags as they are afterwards."""
    report = store.report_row(uow.conn, cmd.report_id)
    if report is None:
        raise UnknownReport("report_id", f"no report {cmd.report_id}")
    if not cmd.reason.strip():
        raise InvalidCommand("reason", "required to moderate a report")
    changes = {
        name: value
        for name in ("hidden", "redacted", "photos_hidden")
        if (value := getattr(cmd, name)) is not None
    }
    if not changes:
        raise InvalidCommand("hidden", "give at least one of hidden, redacted, photos_hidden")
    before = {k: report[k] for k in ("hidden", "redacted", "photos_hidden")}
    store.set_moderation(uow.conn, cmd.report_id, **changes)
    after = {**before, **changes}
    dept_store.write_audit(
        uow.conn, actor=cmd.actor, action="report.moderate", subject=f"report:{cmd.report_id}",
        outcome="done", reason=cmd.reason, detail={"before": before, "after": after,
                                                   "at": now.isoformat()},
    )  # fmt: skip
    return after
