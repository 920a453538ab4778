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
from datetime import UTC, datetime

from services.cases.errors import CaseError, InvalidCommand, UnknownCase
from services.cases.uow import UnitOfWork
from services.domain.flags import FlagFacts, FlagNotAllowed
from services.domain.merging import UnmergeTooLate, may_unmerge
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
UNMERGE = "unmerge"


class ActionNotAllowed(CaseError):
    """The action does not apply to the case as it is now; `.allowed` lists what does (at the
    moment of the refusal), `.why` names a rule beyond the state when one refused it."""

    def __init__(self, case: Case, action: str, message: str, why: str | None = None) -> None:
        super().__init__("state", message)
        self.case_id = case.id
        self.state = case.state
        self.action = action
        self.why = why
        self.allowed = available_actions(
            case.state, extension_pending=case.extension_pending, rated=case.rated,
            unmergeable=may_unmerge(case.state, case.merged_at, datetime.now(UTC)),
        )  # fmt: skip


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
        merged_into=str(case.merged_into) if case.merged_into else None,
        merged_at=case.merged_at,
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


def available_actions(
    state: str, *, extension_pending: bool, rated: bool, unmergeable: bool = False
) -> list[str]:
    """Every action a case in `state` allows now: the state table's moves (in `CaseAction`
    order; an un-merge only while `unmergeable`, within a day of the merge), then the flags
    that apply (extension request or decision, rating). A revisit's re-opening of a closed
    case is offered in the revisit queue, not here."""
    state = CaseState(state)
    hidden = {CaseAction.revisit_rework} | (set() if unmergeable else {CaseAction.unmerge})
    actions = [a.value for a in allowed_actions(state) if a not in hidden]
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
    except UnmergeTooLate as exc:
        raise ActionNotAllowed(case, action, str(exc), why=exc.why) from None
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
