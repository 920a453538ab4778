"""Flags on a case that are not states: warning and overdue marks, escalation, extensions and
the reporter's rating. Each guard checks that the flag makes sense for the case right now and
returns the event to record; it commits nothing. Standard library only.

When each is raised:
- `warn` / `mark_overdue`: by the SLA sweeper when a running time limit nears or passes its due
  time. "acknowledge" limits run only while `dispatched`; "resolve" limits while dispatched or
  acknowledged.
- `escalate`: by the sweeper or a shift leader (值班长) on an open case.
- `request_extension` / `decide_extension`: by the department while it holds the case, then by
  an operator; only one request may be pending.
- `supervise` / `urge`: by an operator or shift leader while a department holds the case.
- `rate`: by the reporter, once, after the case is closed by verification or on the spot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.domain.events import (
    CaseEscalated,
    CaseOverdue,
    CaseRated,
    CaseSupervised,
    CaseUrged,
    CaseWarned,
    DomainEvent,
    ExtensionApproved,
    ExtensionRejected,
    ExtensionRequested,
    Satisfaction,
)
from services.domain.states import CaseState, InvalidDetail, is_open, is_with_department

LIMIT_STATES: dict[str, frozenset[CaseState]] = {
    "acknowledge": frozenset({CaseState.dispatched}),
    "resolve": frozenset({CaseState.dispatched, CaseState.acknowledged}),
}


# The case_file columns of each limit's due time and overdue mark.
LIMIT_COLUMNS: dict[str, tuple[str, str]] = {
    "acknowledge": ("ack_due", "ack_overdue"),
    "resolve": ("resolve_due", "resolve_overdue"),
}


def is_overdue(
    state: CaseState,
    *,
    now: datetime,
    ack_due: datetime | None = None,
    resolve_due: datetime | None = None,
    ack_overdue: bool = False,
    resolve_overdue: bool = False,
) -> bool:
    """Whether a running limit of the case has passed at `now`: a limit runs in its
    `LIMIT_STATES` and has passed when marked overdue or when its due time is before `now`.
    What the screens, the live map and the metrics call overdue (their SQL is generated from
    this definition by services.store.cases.groups)."""
    marks = {
        "acknowledge": (ack_due, ack_overdue),
        "resolve": (resolve_due, resolve_overdue),
    }
    state = CaseState(state)
    for limit, states in LIMIT_STATES.items():
        due, marked = marks[limit]
        if state in states and (marked or (due is not None and due < now)):
            return True
    return False


class FlagNotAllowed(Exception):
    """The flag does not apply to the case as it is now (e.g. rating an open case)."""

    def __init__(self, flag: str, state: CaseState, why: str) -> None:
        self.flag = flag
        self.state = CaseState(state)
        super().__init__(f"cannot {flag} a case that is {self.state.value}: {why}")


@dataclass(frozen=True)
class FlagFacts:
    """The snapshot the flag guards read: state, holder, pending extension, escalation level
    and whether the reporter already rated."""

    case_id: str
    state: CaseState
    department_code: str | None = None
    extension_pending: bool = False
    escalation_level: int = 0
    rated: bool = False


def _aware(at: datetime, name: str = "at") -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidDetail(name, "must be timezone-aware")


def _limit_event(kind: type[CaseWarned | CaseOverdue], case: FlagFacts, limit: str, due, at):
    if limit not in LIMIT_STATES:
        raise InvalidDetail("limit", f"unknown limit {limit!r}; one of acknowledge, resolve")
    if case.state not in LIMIT_STATES[limit]:
        raise FlagNotAllowed(kind.__name__, case.state, f"no {limit} limit runs in this state")
    _aware(at)
    return kind(case_id=case.case_id, actor=None, at=at, limit=limit, due=due)


def warn(case: FlagFacts, *, limit: str, due: datetime, at: datetime) -> CaseWarned:
    """A `CaseWarned` for the `limit` ("acknowledge" or "resolve") due at `due`. Raises
    `FlagNotAllowed` if that limit does not run in the case's state."""
    return _limit_event(CaseWarned, case, limit, due, at)


def mark_overdue(case: FlagFacts, *, limit: str, due: datetime, at: datetime) -> CaseOverdue:
    """A `CaseOverdue` for the `limit` that passed at `due`. Raises `FlagNotAllowed` if that
    limit does not run in the case's state, `InvalidDetail` if `at` is before `due`."""
    _aware(due, "due")
    _aware(at)
    if at < due:
        raise InvalidDetail("at", "a case is not overdue before its due time")
    return _limit_event(CaseOverdue, case, limit, due, at)


def escalate(
    case: FlagFacts, *, actor: str | None, at: datetime, reason: str = ""
) -> CaseEscalated:
    """A `CaseEscalated` one level above the case's current escalation level. Raises
    `FlagNotAllowed` on a closed case."""
    if not is_open(case.state):
        raise FlagNotAllowed("escalate", case.state, "the case is closed")
    _aware(at)
    return CaseEscalated(
        case_id=case.case_id, actor=actor, at=at, level=case.escalation_level + 1, reason=reason
    )


def supervise(
    case: FlagFacts, *, actor: str, at: datetime, note: str, respond_by: datetime | None = None
) -> CaseSupervised:
    """Supervision by hand (督办) of a case a department holds: the operator's note and,
    optionally, when the department is to answer (after `at`). Called by the operator's
    handler; records nothing on the case row, the event is the record. Raises
    `FlagNotAllowed` when no department holds the case, `InvalidDetail` without a note or
    with a `respond_by` not after `at`."""
    if not is_with_department(case.state):
        raise FlagNotAllowed("supervise", case.state, "no department holds the case")
    _aware(at)
    if not note.strip():
        raise InvalidDetail("note", "required")
    if respond_by is not None:
        _aware(respond_by, "respond_by")
        if respond_by <= at:
            raise InvalidDetail("respond_by", "must be later than now")
    return CaseSupervised(
        case_id=case.case_id, actor=actor, at=at, department_code=case.department_code,
        note=note.strip(), respond_by=respond_by,
    )  # fmt: skip


def urge(case: FlagFacts, *, actor: str, at: datetime, note: str) -> CaseUrged:
    """Urging (催办) of a case a department holds: the operator's note to get on with it.
    Called by the operator's handler; the event is the record. Raises `FlagNotAllowed` when
    no department holds the case, `InvalidDetail` without a note."""
    if not is_with_department(case.state):
        raise FlagNotAllowed("urge", case.state, "no department holds the case")
    _aware(at)
    if not note.strip():
        raise InvalidDetail("note", "required")
    return CaseUrged(
        case_id=case.case_id, actor=actor, at=at, department_code=case.department_code,
        note=note.strip(),
    )  # fmt: skip


def request_extension(
    case: FlagFacts, *, actor: str | None, at: datetime, requested_due: datetime, reason: str
) -> ExtensionRequested:
    """An `ExtensionRequested` from the department holding the case. Raises `FlagNotAllowed`
    unless the case is dispatched or acknowledged with no request pending; `InvalidDetail`
    without a reason or with a requested due time not after `at`."""
    if not is_with_department(case.state):
        raise FlagNotAllowed("request an extension for", case.state, "no department holds it")
    if case.extension_pending:
        raise FlagNotAllowed("request an extension for", case.state, "a request is pending")
    if not reason:
        raise InvalidDetail("reason", "required to request an extension")
    _aware(at)
    _aware(requested_due, "requested_due")
    if requested_due <= at:
        raise InvalidDetail("requested_due", "must be later than now")
    return ExtensionRequested(
        case_id=case.case_id,
        actor=actor,
        at=at,
        department_code=case.department_code,
        requested_due=requested_due,
        reason=reason,
    )


def decide_extension(
    case: FlagFacts,
    *,
    approve: bool,
    actor: str | None,
    at: datetime,
    new_due: datetime | None = None,
    reason: str = "",
) -> DomainEvent:
    """`ExtensionApproved(new_due)` or `ExtensionRejected(reason)` for the pending request.
    Raises `FlagNotAllowed` when nothing is pending or the case left the department;
    `InvalidDetail` when approving without `new_due` or rejecting without a reason."""
    if not case.extension_pending:
        raise FlagNotAllowed("decide an extension for", case.state, "no request is pending")
    if not is_with_department(case.state):
        raise FlagNotAllowed("decide an extension for", case.state, "no department holds it")
    _aware(at)
    if approve:
        if new_due is None:
            raise InvalidDetail("new_due", "required to approve an extension")
        _aware(new_due, "new_due")
        return ExtensionApproved(case_id=case.case_id, actor=actor, at=at, new_due=new_due)
    if not reason:
        raise InvalidDetail("reason", "required to reject an extension")
    return ExtensionRejected(case_id=case.case_id, actor=actor, at=at, reason=reason)


def rate(
    case: FlagFacts, *, rating: Satisfaction, actor: str | None, at: datetime, comment: str = ""
) -> CaseRated:
    """A `CaseRated` with the reporter's rating. Raises `FlagNotAllowed` unless the case is
    closed and not rated yet; `InvalidDetail` for a rating outside `Satisfaction`."""
    if CaseState(case.state) is not CaseState.closed:
        raise FlagNotAllowed("rate", case.state, "only closed cases are rated")
    if case.rated:
        raise FlagNotAllowed("rate", case.state, "the case is already rated")
    try:
        rating = Satisfaction(rating)
    except ValueError:
        raise InvalidDetail("rating", f"one of {', '.join(Satisfaction)}") from None
    _aware(at)
    return CaseRated(case_id=case.case_id, actor=actor, at=at, rating=rating, comment=comment)
