"""The command center's handlers: register (立案) or reject (不予立案) a report waiting for an
operator, dispatch and re-dispatch by hand, merge a duplicate (and un-merge it within a day),
decide an extension request,
supervise (督办) or urge (催办) a case by hand, moderate a report.

Same pattern as every handler: a unit of work in, the domain decides, the outcome and its
events written, the caller commits. Whether the operator's jurisdiction covers the case is
checked by the caller before.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from types import SimpleNamespace

from services.cases.commands import (
    DecideExtension,
    DispatchCase,
    Handled,
    MergeCase,
    ModerateReport,
    RegisterCase,
    RejectCase,
    SuperviseCase,
    UnmergeCase,
    UrgeCase,
)
from services.cases.dispatching import category_terms, dispatch_case
from services.cases.errors import InvalidCommand, UnknownCase, UnknownReport
from services.cases.reference import ReferenceCache
from services.cases.refusals import case_facts as facts
from services.cases.refusals import domain_refusals, flag_facts, lapse_extension, locked_case
from services.cases.registration import new_case_row, register
from services.cases.uow import UnitOfWork
from services.domain import flags
from services.domain.events import ExtensionApproved
from services.domain.states import CaseAction, apply, is_open
from services.store import departments as dept_store
from services.store.cases import handling as store
from services.store.cases import intake, rows


def waiting_case(uow: UnitOfWork, report_id) -> rows.Case:
    """The case of a report, locked; a report the router has not turned into a case yet gets
    one in state `reported` (waiting for an operator). Raises `UnknownReport`."""
    conn = uow.conn
    report = intake.report_row(conn, report_id)
    if report is None:
        raise UnknownReport("report_id", f"no report {report_id}")
    intake.lock_report(conn, report_id)
    case_id = rows.case_id_of(conn, report_id=report_id)
    if case_id is None:
        case_id = uuid.uuid4()
        terms = category_terms(uow, report["category_code"])
        made = new_case_row(case_id, SimpleNamespace(**report, report_id=report["id"]), terms)
        rows.insert_cases(conn, [made])
    return locked_case(uow, case_id, "report_id")


def register_case(
    uow: UnitOfWork, cmd: RegisterCase, *, reference: ReferenceCache, now: datetime
) -> Handled:
    """Registers a waiting report's case and dispatches it (to the department named, or by
    the routing rules, which may leave it registered in the operators' queue): the decision
    the router takes (`services.cases.registration.register`), for a list of one."""
    case = waiting_case(uow, cmd.report_id)
    with domain_refusals(case, "register"):
        done = register(
            facts(case), category_code=case.category_code, cell_code=case.cell_code,
            district_code=case.district_code, data=reference.current(uow.conn), now=now,
            actor=cmd.actor, department_code=cmd.department_code,
        )  # fmt: skip
    rows.save_case(uow.conn, case.id, **done.changes)
    uow.record(case.id, done.events, done.shown)
    return Handled(case.id, done.outcome.state, tuple(e.type for e in done.events))


def reject_case(uow: UnitOfWork, cmd: RejectCase, *, now: datetime) -> Handled:
    """Refuses a waiting report (不予立案) with the reason; its case ends `rejected`."""
    case = waiting_case(uow, cmd.report_id)
    with domain_refusals(case, CaseAction.reject.value):
        done = apply(facts(case), CaseAction.reject, actor=cmd.actor, at=now, reason=cmd.reason)
    rows.save_case(uow.conn, case.id, state=done.new_state.value)
    uow.record(case.id, done.events)
    return Handled(case.id, done.new_state.value, tuple(e.type for e in done.events))


def redispatch_case(
    uow: UnitOfWork, cmd: DispatchCase, *, reference: ReferenceCache, now: datetime
) -> Handled:
    """Dispatches a registered or returned case by hand, or moves a dispatched one to another
    department (`services.cases.dispatching.dispatch_case`); a pending extension request of
    the department that had it lapses."""
    case = locked_case(uow, cmd.case_id)
    with domain_refusals(case, CaseAction.dispatch.value):
        sent = dispatch_case(uow, cmd, reference=reference, now=now)
    if sent.department_code != case.department_code:
        lapse_extension(uow, case.id, now, "the case was re-dispatched")
    events = ("CaseDispatched",) if sent.department_code else ()
    return Handled(case.id, sent.state or case.state, events)


def merge_case(uow: UnitOfWork, cmd: MergeCase, *, now: datetime) -> Handled:
    """Merges a waiting report's case into the open case `duplicate_of` (whose duplicate count
    grows)."""
    locked = rows.load_cases(uow.conn, [cmd.case_id, cmd.duplicate_of], for_update=True)
    case, target = locked.get(cmd.case_id), locked.get(cmd.duplicate_of)
    if case is None:
        raise UnknownCase("case_id", f"no case {cmd.case_id}")
    if target is None:
        raise UnknownCase("duplicate_of", f"no case {cmd.duplicate_of}")
    if target.id != case.id and (not is_open(target.state) or target.merged_into is not None):
        raise InvalidCommand("duplicate_of", f"case {target.case_no} is not open")
    with domain_refusals(case, CaseAction.merge.value):
        done = apply(facts(case), CaseAction.merge, actor=cmd.actor, at=now,
                     duplicate_of=str(target.id))  # fmt: skip
    rows.save_case(uow.conn, case.id, state=done.new_state.value, merged_into=target.id)
    rows.add_duplicates(uow.conn, {target.id: 1})
    uow.record(case.id, done.events)
    return Handled(case.id, done.new_state.value, tuple(e.type for e in done.events))


def unmerge_case(uow: UnitOfWork, cmd: UnmergeCase, *, now: datetime) -> Handled:
    """Takes a merged report back out of the case it was merged into, within a day of the
    merge (`services.domain.merging`): its case waits `reported` for registration again,
    with its own number and history; the case it was merged into counts one duplicate less.
    Both are locked in id order, as `merge_case` locks them."""
    seen = rows.load_case(uow.conn, cmd.case_id)
    if seen is None:
        raise UnknownCase("case_id", f"no case {cmd.case_id}")
    locked = rows.load_cases(uow.conn, {seen.id, seen.merged_into} - {None}, for_update=True)
    case = locked[seen.id]
    with domain_refusals(case, CaseAction.unmerge.value):
        done = apply(facts(case), CaseAction.unmerge, actor=cmd.actor, at=now, reason=cmd.reason)
    rows.save_case(uow.conn, case.id, state=done.new_state.value, merged_into=None)
    if case.merged_into is not None:
        rows.add_duplicates(uow.conn, {case.merged_into: -1})
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
        rows.save_case(
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


def supervise_case(uow: UnitOfWork, cmd: SuperviseCase, *, now: datetime) -> Handled:
    """Records the operator's supervision (督办) of a case a department holds: a
    `CaseSupervised` event in the case's history and the outbox (so the live feed and the
    audit trail show it); the case row is unchanged."""
    case = locked_case(uow, cmd.case_id)
    with domain_refusals(case, "supervise"):
        event = flags.supervise(
            flag_facts(case), actor=cmd.actor, at=now, note=cmd.note, respond_by=cmd.respond_by
        )
    uow.record(case.id, [event])
    return Handled(case.id, case.state, (event.type,))


def urge_case(uow: UnitOfWork, cmd: UrgeCase, *, now: datetime) -> Handled:
    """Records the operator's urging (催办) of a case a department holds: a `CaseUrged`
    event in the case's history and the outbox, counted among its department's 催办数; the
    case row is unchanged."""
    case = locked_case(uow, cmd.case_id)
    with domain_refusals(case, "urge"):
        event = flags.urge(flag_facts(case), actor=cmd.actor, at=now, note=cmd.note)
    uow.record(case.id, [event])
    return Handled(case.id, case.state, (event.type,))


def moderate_report(uow: UnitOfWork, cmd: ModerateReport, *, now: datetime) -> dict:
    """Sets a report's moderation flags (hidden / redacted text / hidden photos) and audits
    the change with its reason. Returns the flags as they are afterwards."""
    report = intake.report_row(uow.conn, cmd.report_id)
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
