"""Case command handlers: `register_report` (立案 + duplicate check + dispatch) and
`dispatch_case` (派遣). Each takes a unit of work, loads what it needs, lets the pure domain
decide (services.domain.states / routing / calendar) and writes the outcome with its events;
the caller commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text

from services.dispatch.commands import DispatchCase, RegisterReport
from services.dispatch.errors import UnknownCase, UnknownCategory, UnknownDepartment, UnknownReport
from services.dispatch.timing import Calendars, case_due_times
from services.dispatch.uow import UnitOfWork
from services.domain.events import CaseHeldForIntake
from services.domain.routing import RouteDecision, RoutingRule, check_rule_admissible, resolve_route
from services.domain.states import CaseAction, CaseFacts, CaseState, apply
from services.store import cases as case_store
from services.store import departments as dept_store

ROUTER = "router"


@dataclass(frozen=True)
class CaseOutcome:
    """What a handler did. `applied` is False when the command had been applied before."""

    applied: bool
    case_id: uuid.UUID | None
    state: str | None = None
    department_code: str | None = None
    duplicate_of: uuid.UUID | None = None
    ack_due: datetime | None = None
    resolve_due: datetime | None = None
    reason: str | None = None


@dataclass(frozen=True)
class CategoryTerms:
    """What registration needs from the catalog about a category."""

    priority: str
    ack_limit_minutes: int
    resolve_limit_minutes: int
    around_the_clock: bool
    duplicate_radius_m: int
    duplicate_window_minutes: int


def category_terms(uow: UnitOfWork, code: str) -> CategoryTerms:
    """The category's limits (deactivated categories included: a report captured before the
    deactivation still gets its case); raises `UnknownCategory`."""
    return uow.memo(("category_terms", code), lambda: _load_terms(uow, code))


def _load_terms(uow: UnitOfWork, code: str) -> CategoryTerms:
    row = uow.conn.execute(
        text(
            "SELECT priority, ack_limit_minutes, resolve_limit_minutes, around_the_clock, "
            "duplicate_radius_m, duplicate_window_minutes FROM category WHERE code = :c"
        ),
        {"c": code},
    ).mappings().first()  # fmt: skip
    if row is None:
        raise UnknownCategory("category_code", f"{code!r} is not in the catalog")
    return CategoryTerms(**row)


def register_report(
    uow: UnitOfWork,
    cmd: RegisterReport,
    *,
    calendars: Calendars,
    now: datetime,
    consumer: str = ROUTER,
) -> CaseOutcome:
    """Registers the case of a captured report, exactly once per event and per report.

    Guarantees, all in the caller's transaction: the event is claimed for `consumer` (a
    repeated delivery changes nothing and returns applied=False); a report handled on the spot
    gives a case closed at once; a report of the same category within the category's radius
    and time window of an open case is merged into it (its duplicate count grows, nothing is
    dispatched); a report no routing rule places (outside every cell, or no rule for its
    category there) stays `reported` in the operators' intake queue (CaseHeldForIntake);
    otherwise the case is registered and dispatched by the routing rules, with ack/resolve due
    times counted from `now`. Raises `UnknownReport`/`UnknownCategory`.
    """
    conn = uow.conn
    if not uow.claim(consumer, cmd.event_id):
        return CaseOutcome(False, case_store.case_id_for_report(conn, cmd.report_id))
    existing = case_store.case_id_for_report(conn, cmd.report_id)
    if existing is not None:
        return CaseOutcome(False, existing, reason="the report already has a case")
    report = conn.execute(text("SELECT 1 FROM report WHERE id = :r"), {"r": cmd.report_id})
    if report.first() is None:
        raise UnknownReport("report_id", f"no report {cmd.report_id}")
    terms = category_terms(uow, cmd.category_code)
    # Registrations of one category are serialised, so two routers never both miss a duplicate.
    conn.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('gridflow-case:' || :c))"),
        {"c": cmd.category_code},
    )
    case_id = uuid.uuid4()
    facts = CaseFacts(case_id=str(case_id), state=CaseState.reported)
    row = _case_row(case_id, cmd, terms)

    if cmd.handled_on_spot:
        closing = apply(facts, CaseAction.close_on_spot, actor=None, at=now)
        case_store.insert_case(
            conn, {**row, "state": closing.new_state.value, "registered_at": now, "closed_at": now}
        )
        uow.record(case_id, closing.events)
        return CaseOutcome(True, case_id, closing.new_state.value, reason="handled on the spot")

    duplicate = _open_duplicate(uow, cmd, terms)
    if duplicate is not None:
        merge = apply(facts, CaseAction.merge, actor=None, at=now, duplicate_of=str(duplicate))
        case_store.insert_case(
            conn, {**row, "state": merge.new_state.value, "merged_into": duplicate}
        )
        count = case_store.add_duplicate(conn, duplicate)
        uow.record(case_id, merge.events)
        return CaseOutcome(
            True, case_id, merge.new_state.value, duplicate_of=duplicate,
            reason=f"duplicate of an open case ({count} merged so far)",
        )  # fmt: skip

    case_store.insert_case(conn, {**row, "state": CaseState.reported.value})
    decision = _route(uow, case_store.get_case(conn, case_id))
    if decision.fallback:
        # 立案 needs a place and a department: the operators decide (register, reject, merge).
        case_store.update_case(
            conn, case_id, route_reason=decision.reason,
            ruleset_version=uow.memo("ruleset_version", lambda: dept_store.current_version(conn)),
        )  # fmt: skip
        uow.record(case_id, [CaseHeldForIntake(str(case_id), None, now, reason=decision.reason)])
        return CaseOutcome(True, case_id, CaseState.reported.value, reason=decision.reason)
    registration = apply(facts, CaseAction.register, actor=None, at=now)
    case_store.update_case(
        conn, case_id, state=registration.new_state.value, registered_at=now
    )  # fmt: skip
    uow.record(case_id, registration.events)
    return dispatch_case(uow, DispatchCase(case_id=case_id), calendars=calendars, now=now)


def dispatch_case(
    uow: UnitOfWork, cmd: DispatchCase, *, calendars: Calendars, now: datetime
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
    case = case_store.get_case(conn, cmd.case_id, for_update=True)
    if case is None:
        raise UnknownCase("case_id", f"no case {cmd.case_id}")
    terms = category_terms(uow, case.category_code)
    ack_due, resolve_due = case_due_times(
        calendars,
        around_the_clock=case.around_the_clock,
        start=now,
        ack_limit_minutes=terms.ack_limit_minutes,
        resolve_limit_minutes=terms.resolve_limit_minutes,
    )
    if cmd.department_code is None:
        decision = _route(uow, case)
        department_code = None if decision.fallback else decision.department_code
        reason = decision.reason
    else:
        department_code = _checked_department(uow, case.category_code, cmd.department_code)
        reason = f"dispatched by {cmd.actor or 'the system'} to {department_code}"
    version = uow.memo("ruleset_version", lambda: dept_store.current_version(conn))

    if department_code is None:
        case_store.update_case(
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
    case_store.update_case(
        conn, case.id, state=transition.new_state.value, department_code=department_code,
        dispatched_at=now, ack_due=ack_due, resolve_due=resolve_due, route_reason=reason,
        ruleset_version=version, acknowledged_at=None, ack_overdue=False, resolve_overdue=False,
    )  # fmt: skip
    uow.record(case.id, transition.events)
    return CaseOutcome(
        True, case.id, transition.new_state.value, department_code,
        ack_due=ack_due, resolve_due=resolve_due, reason=reason,
    )  # fmt: skip


def _case_row(case_id: uuid.UUID, cmd: RegisterReport, terms: CategoryTerms) -> dict:
    return {
        "id": case_id,
        "case_no": cmd.case_no,
        "report_id": cmd.report_id,
        "category_code": cmd.category_code,
        "priority": terms.priority,
        "around_the_clock": terms.around_the_clock,
        "cell_id": cmd.cell_id,
        "cell_code": cmd.cell_code,
        "grid_version": cmd.grid_version,
        "community_code": cmd.community_code,
        "street_code": cmd.street_code,
        "district_code": cmd.district_code,
        "created_at": cmd.received_at,
        "lat": cmd.lat,
        "lng": cmd.lng,
    }


def _open_duplicate(uow: UnitOfWork, cmd: RegisterReport, terms: CategoryTerms):
    if cmd.lat is None or cmd.lng is None or terms.duplicate_radius_m <= 0:
        return None
    return case_store.find_open_duplicate(
        uow.conn,
        category_code=cmd.category_code,
        lat=cmd.lat,
        lng=cmd.lng,
        radius_m=terms.duplicate_radius_m,
        since=cmd.received_at - timedelta(minutes=terms.duplicate_window_minutes),
    )


def _route(uow: UnitOfWork, case: case_store.CaseRow) -> RouteDecision:
    conn = uow.conn
    rules = dept_store.rules_for(conn, case.category_code, case.cell_code) if case.cell_code else []
    codes = frozenset(r.department_code for r in rules)
    known = dict(uow.memo(("departments", codes), lambda: dept_store.departments(conn, codes)))
    if case.district_code:
        district = case.district_code
        known.update(
            uow.memo(("queues", district), lambda: dept_store.operator_queues(conn, district))
        )
    return resolve_route(rules, known, case.category_code, case.cell_code, case.district_code or "")


def _checked_department(uow: UnitOfWork, category_code: str, code: str) -> str:
    department = dept_store.departments(uow.conn, [code]).get(code)
    if department is None or not department.active:
        raise UnknownDepartment("department_code", f"no active department {code!r}")
    rule = RoutingRule(category_code, department.jurisdiction_code, department.code)
    check_rule_admissible(rule, department)
    return department.code
