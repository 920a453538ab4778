"""Registration (立案), decided once for everyone: `register` is the decision on one reported
case — route it or take the department named, register it, dispatch it with its due times,
or (the router) hold it for the operators when no rule places it — used by the router's
batches (`services.cases.batches`) and by an operator registering a waiting report
(`services.cases.operator`) alike. `new_case_row` is the one way a case row is made from a
report. Pure: reads the reference data given, writes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.calendars import case_due_times
from services.cases.commands import CaseOutcome
from services.cases.errors import InvalidCommand, UnknownDepartment
from services.cases.reference import CategoryTerms, ReferenceData
from services.domain.events import CaseHeldForIntake, DomainEvent
from services.domain.routing import RoutingRule, check_rule_admissible, serves
from services.domain.states import CaseAction, CaseFacts, CaseState, apply


@dataclass(frozen=True)
class Registration:
    """What `register` decided: the case row's changed columns, the events, the outcome, and
    `shown`: by position in `events`, what the audit trail shows of the case after an event
    the row (written once, as the last event leaves it) has gone past."""

    changes: dict[str, Any]
    events: list[DomainEvent]
    outcome: CaseOutcome
    shown: dict[int, dict[str, Any]] = field(default_factory=dict)


DueTimes = dict[CategoryTerms, tuple[datetime | None, datetime | None]]


def register(
    facts: CaseFacts,
    *,
    category_code: str,
    cell_code: str | None,
    district_code: str | None,
    data: ReferenceData,
    now: datetime,
    actor: str | None,
    department_code: str | None = None,
    hold_unplaced: bool = False,
    due: DueTimes | None = None,
) -> Registration:
    """Registers a reported case and dispatches it at `now`: to `department_code` (checked:
    active, and admitted by a community committee), or to the department the routing rules
    choose when it is None. When no rule places it, the router (`hold_unplaced`) keeps it
    `reported` for the operators' intake (CaseHeldForIntake); an operator's registration
    stands and the case waits `registered` in the operators' queue, the reason kept.

    Raises `IllegalTransition` when the case is not `reported`, `UnknownDepartment`,
    `NotAdmitted`. `due` remembers due times by category terms across a batch.
    """
    department, reason = placement(
        data, category_code, cell_code, district_code, department_code=department_code,
        actor=actor,
    )  # fmt: skip
    version = data.ruleset_version
    if department is None and hold_unplaced:
        # 立案 needs a place and a department: the operators decide (register, reject, merge).
        held = CaseHeldForIntake(facts.case_id, None, now, reason=reason)
        changes = {"route_reason": reason, "ruleset_version": version}
        return Registration(changes, [held], CaseOutcome(True, None, facts.state.value,
                                                         reason=reason))  # fmt: skip
    registration = apply(facts, CaseAction.register, actor=actor, at=now)
    terms = data.terms[category_code]
    due = {} if due is None else due
    if terms not in due:  # the same for every case of the category's terms
        due[terms] = case_due_times(
            data.calendars, around_the_clock=terms.around_the_clock, start=now,
            ack_limit_minutes=terms.ack_limit_minutes,
            resolve_limit_minutes=terms.resolve_limit_minutes,
        )  # fmt: skip
    ack_due, resolve_due = due[terms]
    changes = {
        "state": registration.new_state.value, "registered_at": now, "route_reason": reason,
        "ruleset_version": version, "ack_due": ack_due, "resolve_due": resolve_due,
    }  # fmt: skip
    if department is None:
        outcome = CaseOutcome(True, None, registration.new_state.value, None, ack_due=ack_due,
                              resolve_due=resolve_due, reason=reason)  # fmt: skip
        return Registration(changes, list(registration.events), outcome)
    registered = CaseFacts(case_id=facts.case_id, state=registration.new_state)
    transition = apply(
        registered, CaseAction.dispatch, actor=actor, at=now, department_code=department,
        ack_due=ack_due, resolve_due=resolve_due,
    )  # fmt: skip
    # The case is written once, as the dispatch leaves it; its trail still shows the
    # registration as it was recorded before the two were written together (migration 0011):
    # registered, without a department or due times yet.
    registered_facts = {"state": registration.new_state.value, "department_code": None,
                        "ack_due": None, "resolve_due": None}  # fmt: skip
    shown = {len(registration.events) - 1: registered_facts}
    changes.update(state=transition.new_state.value, department_code=department,
                   dispatched_at=now)  # fmt: skip
    outcome = CaseOutcome(
        True, None, transition.new_state.value, department, ack_due=ack_due,
        resolve_due=resolve_due, reason=reason,
    )  # fmt: skip
    return Registration(changes, [*registration.events, *transition.events], outcome, shown)


def placement(
    data: ReferenceData,
    category_code: str,
    cell_code: str | None,
    district_code: str | None,
    *,
    department_code: str | None,
    actor: str | None,
) -> tuple[str | None, str]:
    """(department, reason) a case goes to: the department named (checked), or the one the
    routing rules choose — None when no rule places the case (the reason says why)."""
    if department_code is None:
        decision = data.route(category_code, cell_code, district_code)
        return (None if decision.fallback else decision.department_code), decision.reason
    place = cell_code or district_code
    department = checked_department(data, category_code, department_code, place)
    return department, f"dispatched by {actor or 'the system'} to {department}"


def checked_department(
    data: ReferenceData, category_code: str, code: str, place: str | None
) -> str:
    """The department an operator named, if it is active, its jurisdiction covers the case's
    `place` (its cell, else its district) and it may receive the category; raises
    `UnknownDepartment`, `InvalidCommand` or `NotAdmitted`."""
    department = data.departments.get(code)
    if department is None or not department.active:
        raise UnknownDepartment("department_code", f"no active department {code!r}")
    if not serves(department, place):
        raise InvalidCommand("department_code", f"{code} does not serve the case's place {place}")
    rule = RoutingRule(category_code, department.jurisdiction_code, department.code)
    check_rule_admissible(rule, department)
    return department.code


def new_case_row(case_id: uuid.UUID, report: Any, terms: CategoryTerms) -> dict[str, Any]:
    """The row of a new case (state `reported`) made from a report: anything with the report's
    fields as attributes (a `RegisterReport`, a stored report)."""
    return {
        "id": case_id, "case_no": report.case_no, "report_id": report.report_id,
        "state": CaseState.reported.value, "category_code": report.category_code,
        "priority": terms.priority, "around_the_clock": terms.around_the_clock,
        "cell_id": report.cell_id, "cell_code": report.cell_code,
        "grid_version": report.grid_version, "community_code": report.community_code,
        "street_code": report.street_code, "district_code": report.district_code,
        "created_at": report.received_at, "lat": report.lat, "lng": report.lng,
    }  # fmt: skip
