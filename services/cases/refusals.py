"""What may be done to a case now, and the refusal when something else is asked.

The domain says no in two ways: `IllegalTransition` (the state table has no such move) and
`FlagNotAllowed` (a flag does not apply, e.g. rating an open case). The handlers turn both into
`ActionNotAllowed`, which carries the case's state and every action allowed on it, so the API
can answer 409 listing them. `InvalidDetail` (a missing or wrong detail) becomes
`InvalidCommand` naming the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from services.cases.errors import CaseError, InvalidCommand, UnknownCase
from services.cases.uow import UnitOfWork
from services.domain.flags import FlagFacts, FlagNotAllowed
from services.domain.states import (
    CaseAction,
    CaseFacts,
    CaseState,
    IllegalTransition,
    InvalidDetail,
    allowed_actions,
    is_with_department,
)
from services.store.cases import handling as store
from services.store.cases.rows import Case, load_case

# The flag actions, named as the API names them.
REQUEST_EXTENSION = "request_extension"
APPROVE_EXTENSION = "approve_extension"
REJECT_EXTENSION = "reject_extension"
RATE = "rate"


class ActionNotAllowed(CaseError):
    """The action does not apply to the case as it is now; `.allowed` lists what does."""

    def __init__(self, case: Case, action: str, message: str) -> None:
        super().__init__("state", message)
        self.case_id = case.id
        self.state = case.state
        self.action = action
        self.allowed = available_actions(
            case.state, extension_pending=case.extension_pending, rated=case.rated
        )


class TaskAnswered(CaseError):
    """The verification task was answered already, differently, or was cancelled."""


class UnknownTask(CaseError):
    """No verification task has the id the command names."""


def locked_case(
    uow: UnitOfWork, case_id, field: str = "case_id", *, department_code: str | None = None
) -> Case:
    """The case, locked until the unit of work ends; raises `UnknownCase` naming `field`, also
    when `department_code` is given and the case is not with that department (a re-dispatch
    committed since the caller looked leaves the old department out, as if there were no
    case)."""
    case = load_case(uow.conn, case_id, for_update=True)
    if case is None or (department_code is not None and case.department_code != department_code):
        raise UnknownCase(field, f"no case {case_id}")
    return case


def case_facts(case: Case) -> CaseFacts:
    """The snapshot `services.domain.states.apply` reads."""
    return CaseFacts(
        case_id=str(case.id),
        state=CaseState(case.state),
        department_code=case.department_code,
        rework_count=case.rework_count,
    )


def flag_facts(case: Case) -> FlagFacts:
    """The snapshot the guards of `services.domain.flags` read."""
    return FlagFacts(
        case_id=str(case.id),
        state=CaseState(case.state),
        department_code=case.department_code,
        extension_pending=case.extension_pending,
        escalation_level=case.escalation_level,
        rated=case.rated,
    )


def available_actions(state: str, *, extension_pending: bool, rated: bool) -> list[str]:
    """Every action a case in `state` allows now: the state table's moves (in `CaseAction`
    order), then the flags that apply (extension request or decision, rating). A revisit's
    re-opening of a closed case is offered in the revisit queue, not here."""
    state = CaseState(state)
    actions = [a.value for a in allowed_actions(state) if a is not CaseAction.revisit_rework]
    if is_with_department(state):
        if extension_pending:
            actions += [APPROVE_EXTENSION, REJECT_EXTENSION]
        else:
            actions.append(REQUEST_EXTENSION)
    if state is CaseState.closed and not rated:
        actions.append(RATE)
    return actions


@contextmanager
def domain_refusals(case: Case, action: str) -> Iterator[None]:
    """Translates the domain's refusals of `action` on `case` into dispatch errors."""
    try:
        yield
    except (IllegalTransition, FlagNotAllowed) as exc:
        raise ActionNotAllowed(case, action, str(exc)) from None
    except InvalidDetail as exc:
        raise InvalidCommand(exc.field, str(exc).split(": ", 1)[-1]) from None


def lapse_extension(uow: UnitOfWork, case_id, now: datetime, why: str) -> None:
    """The case's pending extension request lapses (the case left the department that asked,
    or was resolved): closed as `lapsed` with `why`."""
    pending = store.pending_extension(uow.conn, case_id)
    if pending is not None:
        store.close_extension(
            uow.conn, pending["id"], status="lapsed", decided_at=now, decision_reason=why
        )
