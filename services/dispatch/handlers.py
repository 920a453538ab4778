"""Case command handler `dispatch_case` (派遣), and what the handlers share: the category's
terms and the outcome type. It takes a unit of work, loads what it needs, lets the pure domain
decide (services.domain.states / routing / calendar) and writes the outcome with its events;
the caller commits. Registration (立案 + duplicate check + dispatch) of a batch of captured
reports is `services.dispatch.registration.register_reports`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from services.dispatch.commands import DispatchCase
from services.dispatch.errors import InvalidCommand, UnknownCase, UnknownCategory, UnknownDepartment
from services.dispatch.timing import Calendars, case_due_times
from services.dispatch.uow import UnitOfWork
from services.domain.routing import (
    RouteDecision,
    RoutingRule,
    check_rule_admissible,
    resolve_route,
    serves,
)
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
        department_code = _checked_department(uow, case, cmd.department_code)
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


def _checked_department(uow: UnitOfWork, case: case_store.CaseRow, code: str) -> str:
    department = dept_store.departments(uow.conn, [code]).get(code)
    if department is None or not department.active:
        raise UnknownDepartment("department_code", f"no active department {code!r}")
    place = case.cell_code or case.community_code or case.street_code or case.district_code
    if not serves(department, place):
        raise InvalidCommand("department_code", f"{code} does not serve the case's place {place}")
    rule = RoutingRule(case.category_code, department.jurisdiction_code, department.code)
    check_rule_admissible(rule, department)
    return department.code
