"""The case state machine of the closed loop (see DOMAIN.md "The closed loop").

The transitions are one explicit table, `TRANSITIONS`: (state, action) → next state. `apply`
checks a requested action against it and returns the new state with the events it caused; it
commits nothing. Overdue, extension, escalation and rating are flags and events, not states
(see `flags.py`). Standard library only.

Beyond DOMAIN.md the table allows two more moves: an operator may re-dispatch a case that is
still `dispatched` (not yet acknowledged) to another department — dispatched → dispatched;
and an operator may un-merge a merged report within `UNMERGE_WINDOW` of its merge — merged →
reported, the state it was merged from, so it is registered (or rejected) as its own case
(see `merging.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from services.domain.events import (
    CaseAcknowledged,
    CaseClosed,
    CaseDispatched,
    CaseMerged,
    CaseRegistered,
    CaseRejected,
    CaseResolved,
    CaseReturned,
    CaseReworked,
    CaseVerified,
    DomainEvent,
)
from services.domain.merging import unmerged


class CaseState(StrEnum):
    """Where a case is in the closed loop."""

    reported = "reported"
    registered = "registered"
    rejected = "rejected"
    merged = "merged"
    dispatched = "dispatched"
    acknowledged = "acknowledged"
    returned = "returned"
    resolved = "resolved"
    closed = "closed"


class CaseAction(StrEnum):
    """What a person does to a case; each is one command handler at the edges."""

    register = "register"
    reject = "reject"
    merge = "merge"
    dispatch = "dispatch"
    acknowledge = "acknowledge"
    return_ = "return"
    resolve = "resolve"
    verify_pass = "verify_pass"
    verify_fail = "verify_fail"
    close_on_spot = "close_on_spot"
    revisit_rework = "revisit_rework"
    unmerge = "unmerge"


S, A = CaseState, CaseAction
TRANSITIONS: dict[tuple[CaseState, CaseAction], CaseState] = {
    (S.reported, A.register): S.registered,
    (S.reported, A.reject): S.rejected,
    (S.reported, A.merge): S.merged,
    (S.reported, A.close_on_spot): S.closed,  # handled on the spot by the grid worker
    (S.registered, A.dispatch): S.dispatched,
    (S.dispatched, A.dispatch): S.dispatched,  # operator moves it to another department
    (S.dispatched, A.acknowledge): S.acknowledged,
    (S.dispatched, A.return_): S.returned,
    (S.acknowledged, A.resolve): S.resolved,
    (S.acknowledged, A.return_): S.returned,
    (S.returned, A.dispatch): S.dispatched,
    (S.resolved, A.verify_pass): S.closed,
    (S.resolved, A.verify_fail): S.dispatched,  # rework +1, same department
    (S.closed, A.revisit_rework): S.dispatched,  # a revisit (回访) re-opens it: rework +1
    (S.merged, A.unmerge): S.reported,  # within a day of the merge (merging.UNMERGE_WINDOW)
}
del S, A

CLOSED_STATES = frozenset({CaseState.closed, CaseState.rejected, CaseState.merged})
OPEN_STATES = frozenset(CaseState) - CLOSED_STATES
WITH_DEPARTMENT_STATES = frozenset({CaseState.dispatched, CaseState.acknowledged})
# Cases that entered the closed loop (the KPIs' population): registered, or closed on the spot.
OUTSIDE_LOOP_STATES = frozenset({CaseState.reported, CaseState.rejected, CaseState.merged})
IN_LOOP_STATES = frozenset(CaseState) - OUTSIDE_LOOP_STATES
# The department has handled the case (its evidence, the after-photo, may be shown).
HANDLED_STATES = frozenset({CaseState.resolved, CaseState.closed})
# The named groups, for code that needs one by name (SQL generated from them, see
# services.store.cases.groups). Nothing outside this module lists states of a group.
STATE_GROUPS: dict[str, frozenset[CaseState]] = {
    "open": OPEN_STATES,
    "closed": CLOSED_STATES,
    "with_department": WITH_DEPARTMENT_STATES,
    "in_loop": IN_LOOP_STATES,
    "outside_loop": OUTSIDE_LOOP_STATES,
    "handled": HANDLED_STATES,
}


def is_closed(state: CaseState) -> bool:
    """True for the closed states (closed, rejected, merged): only a revisit's rework (of a
    closed case) or an un-merge within a day (of a merged one) leaves them."""
    return CaseState(state) in CLOSED_STATES


def is_open(state: CaseState) -> bool:
    """True while the case still needs someone to act: every state that is not closed."""
    return CaseState(state) in OPEN_STATES


def is_handled(state: CaseState) -> bool:
    """True once the department resolved the case (resolved, then closed after the check)."""
    return CaseState(state) in HANDLED_STATES


def is_with_department(state: CaseState) -> bool:
    """True while a department holds the case (dispatched or acknowledged): the states in which
    its acknowledge/resolve time limits run and an extension may be asked for."""
    return CaseState(state) in WITH_DEPARTMENT_STATES


def allowed_actions(state: CaseState) -> list[CaseAction]:
    """The actions the table allows from `state`, in `CaseAction` declaration order (stable,
    so it can be shown as buttons or listed in an error). Empty for terminal states."""
    state = CaseState(state)
    return [a for a in CaseAction if (state, a) in TRANSITIONS]


def next_state(state: CaseState, action: CaseAction) -> CaseState:
    """The state `action` leads to from `state`; raises `IllegalTransition` when the table has
    no such move. Called by `apply` and by anything that only needs the target state."""
    state, action = CaseState(state), CaseAction(action)
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise IllegalTransition(state, action) from None


class IllegalTransition(Exception):
    """The action is not allowed from the case's current state. `.allowed` lists what is."""

    def __init__(self, state: CaseState, action: CaseAction) -> None:
        self.state = CaseState(state)
        self.action = CaseAction(action)
        self.allowed = allowed_actions(self.state)
        allowed = ", ".join(a.value for a in self.allowed) or "nothing (terminal state)"
        super().__init__(
            f"cannot {self.action.value} a case that is {self.state.value}; allowed: {allowed}"
        )


class InvalidDetail(ValueError):
    """A detail the action needs is missing or wrong (e.g. dispatch without a department).
    `.field` names it so an API can answer 422 with the field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class CaseFacts:
    """What the state machine needs to know about a case: a read-only snapshot the caller
    loads from its store before calling `apply`."""

    case_id: str
    state: CaseState
    department_code: str | None = None
    rework_count: int = 0
    merged_into: str | None = None  # a merged case: the case it was merged into
    merged_at: datetime | None = None  # and when


@dataclass(frozen=True)
class Transition:
    """The outcome of `apply`: the new state, the events to record, and the rework count (and
    department) the case has afterwards. Nothing has been written anywhere."""

    new_state: CaseState
    events: list[DomainEvent]
    rework_count: int = 0
    department_code: str | None = None


_DETAILS: dict[CaseAction, tuple[frozenset[str], frozenset[str]]] = {
    # action: (required, optional)
    CaseAction.register: (frozenset(), frozenset()),
    CaseAction.reject: (frozenset({"reason"}), frozenset()),
    CaseAction.merge: (frozenset({"duplicate_of"}), frozenset()),
    CaseAction.dispatch: (frozenset({"department_code"}), frozenset({"ack_due", "resolve_due"})),
    CaseAction.acknowledge: (frozenset(), frozenset()),
    CaseAction.return_: (frozenset({"reason"}), frozenset()),
    CaseAction.resolve: (frozenset(), frozenset({"note", "evidence"})),
    CaseAction.verify_pass: (frozenset(), frozenset({"note"})),
    CaseAction.verify_fail: (frozenset(), frozenset({"note", "ack_due", "resolve_due"})),
    CaseAction.close_on_spot: (frozenset(), frozenset({"note"})),
    CaseAction.revisit_rework: (frozenset(), frozenset({"ack_due", "resolve_due"})),
    CaseAction.unmerge: (frozenset({"reason"}), frozenset()),
}


def _check_details(action: CaseAction, details: dict[str, Any]) -> None:
    required, optional = _DETAILS[action]
    for name in sorted(set(details) - required - optional):
        raise InvalidDetail(name, f"not a detail of {action.value}")
    for name in sorted(required):
        if details.get(name) in (None, ""):
            raise InvalidDetail(name, f"required to {action.value} a case")


def apply(
    case: CaseFacts, action: CaseAction, *, actor: str | None, at: datetime, **details: Any
) -> Transition:
    """Applies `action` to `case` as `actor` at instant `at` (timezone-aware).

    Called by every case command handler after loading the case and before writing anything.
    Guarantees: raises `IllegalTransition` (listing the allowed actions) when the table has no
    such move, `InvalidDetail` when a required detail is missing or an unknown one is given;
    otherwise returns the new state and the events caused, in the order they happened. The
    rework count grows by one on `verify_fail` and `revisit_rework`. Details per action:
    reject(reason), merge(duplicate_of), dispatch(department_code, ack_due?, resolve_due?),
    return(reason),
    resolve(note?, evidence?), verify_pass(note?), verify_fail(note?, ack_due?, resolve_due?),
    close_on_spot(note?), revisit_rework(ack_due?, resolve_due?), unmerge(reason): refused
    with `merging.UnmergeTooLate` more than a day after `case.merged_at`.
    """
    action, state = CaseAction(action), CaseState(case.state)
    new_state = next_state(state, action)
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidDetail("at", "must be timezone-aware")
    _check_details(action, details)
    base = {"case_id": case.case_id, "actor": actor, "at": at}
    department, rework = case.department_code, case.rework_count
    events: list[DomainEvent]

    if action is CaseAction.register:
        events = [CaseRegistered(**base)]
    elif action is CaseAction.reject:
        events = [CaseRejected(**base, reason=details["reason"])]
    elif action is CaseAction.merge:
        if details["duplicate_of"] == case.case_id:
            raise InvalidDetail("duplicate_of", "a case cannot be merged into itself")
        events = [CaseMerged(**base, duplicate_of=details["duplicate_of"])]
    elif action is CaseAction.dispatch:
        department = details["department_code"]
        if state is CaseState.dispatched and department == case.department_code:
            raise InvalidDetail("department_code", "the case is already with that department")
        redispatch = state is not CaseState.registered
        events = [
            CaseDispatched(
                **base,
                department_code=department,
                previous_department_code=case.department_code if redispatch else None,
                redispatch=redispatch,
                ack_due=details.get("ack_due"),
                resolve_due=details.get("resolve_due"),
            )
        ]
    elif action is CaseAction.acknowledge:
        events = [CaseAcknowledged(**base, department_code=department)]
    elif action is CaseAction.return_:
        events = [CaseReturned(**base, department_code=department, reason=details["reason"])]
    elif action is CaseAction.resolve:
        evidence = tuple(details.get("evidence") or ())
        note = details.get("note") or ""
        events = [CaseResolved(**base, department_code=department, note=note, evidence=evidence)]
    elif action is CaseAction.verify_pass:
        note = details.get("note") or ""
        events = [CaseVerified(**base, passed=True, note=note), CaseClosed(**base, how="verified")]
    elif action in (CaseAction.verify_fail, CaseAction.revisit_rework):
        rework += 1
        events = [
            CaseReworked(
                **base,
                department_code=department,
                rework_count=rework,
                ack_due=details.get("ack_due"),
                resolve_due=details.get("resolve_due"),
            ),
        ]
        if action is CaseAction.verify_fail:
            events.insert(0, CaseVerified(**base, passed=False, note=details.get("note") or ""))
    elif action is CaseAction.unmerge:
        events = [unmerged(**base, merged_into=case.merged_into, merged_at=case.merged_at,
                           reason=details["reason"])]  # fmt: skip
    else:  # close_on_spot
        events = [CaseClosed(**base, how="on_spot", note=details.get("note") or "")]
    return Transition(new_state, events, rework_count=rework, department_code=department)
