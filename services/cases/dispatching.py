"""Case command handler `dispatch_case` (派遣), and the category terms handlers read. It takes
a unit of work, loads what it needs, lets the pure domain decide (services.domain.states /
routing / calendar) and writes the outcome with its events; the caller commits.
Registration (立案 + duplicate check + dispatch) is `services.cases.registration.register`.
"""

from __future__ import annotations

from datetime import datetime

from services.calendars import Calendars, case_due_times
from services.cases.commands import CaseOutcome, DispatchCase
from services.cases.errors import UnknownCase, UnknownCategory
from services.cases.reference import CategoryTerms, ReferenceCache
from services.cases.registration import placement
from services.cases.uow import UnitOfWork
from services.domain.states import CaseAction, CaseFacts, CaseState, apply
from services.store.cases import rows
from services.store.cases.intake import category_terms as stored_terms
from services.store.cases.rows import Case


def category_terms(uow: UnitOfWork, code: str) -> CategoryTerms:
    """The category's limits (deactivated categories included: a report captured before the
    deactivation still gets its case), read once per unit of work; raises
    `UnknownCategory`."""
    return uow.memo(("category_terms", code), lambda: _load_terms(uow, code))


def due_from(
    uow: UnitOfWork, calendars: Calendars, case: Case, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """(ack_due, resolve_due) of `case` counted from `now` with its category's limits: a
    dispatch, and the rework a failed verification or a revisit sends back."""
    terms = category_terms(uow, case.category_code)
    return case_due_times(
        calendars,
        around_the_clock=case.around_the_clock,
        start=now,
        ack_limit_minutes=terms.ack_limit_minutes,
        resolve_limit_minutes=terms.resolve_limit_minutes,
    )


def _load_terms(uow: UnitOfWork, code: str) -> CategoryTerms:
    found = stored_terms(uow.conn, code).get(code)
    if found is None:
        raise UnknownCategory("category_code", f"{code!r} is not in the catalog")
    return CategoryTerms(**found)


def dispatch_case(
    uow: UnitOfWork, cmd: DispatchCase, *, reference: ReferenceCache, now: datetime
) -> CaseOutcome:
    """Dispatches a case to `cmd.department_code`, or to the department the routing rules
    choose when it is None, with due times counted from `now`.

    Guarantees: a community committee never receives a category missing from its admission
    list (an explicit department raises `NotAdmitted`; rules that would do it are skipped);
    when no rule applies the case stays `registered` with no department (the district
    operators' queue) and the reason is kept on the case. Raises `IllegalTransition` when the
    case's state does not allow dispatch, `UnknownCase`/`UnknownDepartment`.
    """
    conn = uow.conn
    case = rows.load_case(conn, cmd.case_id, for_update=True)
    if case is None:
        raise UnknownCase("case_id", f"no case {cmd.case_id}")
    data = reference.current(conn)
    ack_due, resolve_due = due_from(uow, data.calendars, case, now)
    department_code, reason = placement(
        data, case.category_code, case.cell_code, case.district_code,
        department_code=cmd.department_code, actor=cmd.actor,
    )  # fmt: skip
    version = data.ruleset_version

    if department_code is None:
        rows.save_case(
            conn, case.id, route_reason=reason, ruleset_version=version,
            ack_due=ack_due, resolve_due=resolve_due,
        )  # fmt: skip
        return CaseOutcome(
            True, case.id, case.state, None, ack_due=ack_due, resolve_due=resolve_due,
            reason=reason,
        )  # fmt: skip
    facts = CaseFacts(
        case_id=str(case.id),
        state=CaseState(case.state),
        department_code=case.department_code,
        rework_count=case.rework_count,
    )
    transition = apply(
        facts, CaseAction.dispatch, actor=cmd.actor, at=now,
        department_code=department_code, ack_due=ack_due, resolve_due=resolve_due,
    )  # fmt: skip
    rows.save_case(
        conn, case.id, state=transition.new_state.value, department_code=department_code,
        dispatched_at=now, ack_due=ack_due, resolve_due=resolve_due, route_reason=reason,
        ruleset_version=version, acknowledged_at=None, ack_overdue=False, resolve_overdue=False,
    )  # fmt: skip
    uow.record(case.id, transition.events)
    return CaseOutcome(
        True, case.id, transition.new_state.value, department_code,
        ack_due=ack_due, resolve_due=resolve_due, reason=reason,
    )  # fmt: skip
