"""Domain events: small immutable records, named in the past tense, of what happened to a case.

A transition (`states.apply`) or a flag guard (`flags`) returns them; the caller writes them to
the case history and the outbox in its own transaction. Every event has a `.type` (its class
name, e.g. "CaseDispatched") and `.as_payload()` (a JSON-ready dict). Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from enum import Enum, StrEnum
from typing import Any


class Satisfaction(StrEnum):
    """The reporter's rating after closure (满意 / 基本满意 / 不满意)."""

    satisfied = "satisfied"  # 满意
    basically_satisfied = "basically_satisfied"  # 基本满意
    dissatisfied = "dissatisfied"  # 不满意


_AS_IS = frozenset({str, int, float, bool, type(None)})  # JSON-ready as they are


def _plain(value: Any) -> Any:
    if type(value) in _AS_IS:  # most fields: one lookup instead of the checks below
        return value
    if type(value) is datetime:
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, frozenset | set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class DomainEvent:
    """Base of every case event: which case, who caused it (None for the system), and when."""

    case_id: str
    actor: str | None
    at: datetime

    @property
    def type(self) -> str:
        """The event type written to the envelope, e.g. "CaseDispatched"."""
        return type(self).__name__

    def as_payload(self) -> dict[str, Any]:
        """Every field as JSON-ready values: enums by value, instants as ISO-8601, durations as
        seconds, collections as lists. Guaranteed to round-trip through `json.dumps`."""
        names = _FIELD_NAMES.get(type(self))
        if names is None:
            names = _FIELD_NAMES[type(self)] = tuple(f.name for f in fields(self))
        return {name: _plain(getattr(self, name)) for name in names}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # each event class's fields, in order


# --- transitions (see states.TRANSITIONS) -------------------------------------------------


@dataclass(frozen=True)
class CaseRegistered(DomainEvent):
    """A report was accepted as a case (案卷建立)."""


@dataclass(frozen=True)
class CaseRejected(DomainEvent):
    """A report was refused (not a matter for the city, or invalid)."""

    reason: str = ""


@dataclass(frozen=True)
class CaseMerged(DomainEvent):
    """A report was merged into an existing case as a duplicate."""

    duplicate_of: str = ""


@dataclass(frozen=True)
class CaseUnmerged(DomainEvent):
    """An operator took a merged report back out of the case it had been merged into, within
    a day of the merge: it waits for registration again as its own case (`reported`)."""

    merged_into: str = ""
    merged_at: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class CaseDispatched(DomainEvent):
    """A case was sent to a department (派遣), possibly again (re-dispatch after a return or an
    operator moving it to another department)."""

    department_code: str = ""
    previous_department_code: str | None = None
    redispatch: bool = False
    ack_due: datetime | None = None
    resolve_due: datetime | None = None


@dataclass(frozen=True)
class CaseAcknowledged(DomainEvent):
    """The department signed for the case (签收)."""

    department_code: str | None = None


@dataclass(frozen=True)
class CaseReturned(DomainEvent):
    """The department sent the case back to the center (退回), e.g. not its business."""

    department_code: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class CaseResolved(DomainEvent):
    """The department reports the problem fixed, with evidence (处置完毕)."""

    department_code: str | None = None
    note: str = ""
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseVerified(DomainEvent):
    """The grid worker checked the fix on site (核查): passed or not."""

    passed: bool = True
    note: str = ""


@dataclass(frozen=True)
class CaseReworked(DomainEvent):
    """Verification failed: the case goes back to the same department (返工)."""

    department_code: str | None = None
    rework_count: int = 0
    ack_due: datetime | None = None
    resolve_due: datetime | None = None


@dataclass(frozen=True)
class CaseClosed(DomainEvent):
    """The case is closed (结案): `how` is "verified" or "on_spot" (自行处置)."""

    how: str = "verified"
    note: str = ""


# --- flags: overdue, extension, escalation, rating (see flags.py) --------------------------


@dataclass(frozen=True)
class CaseHeldForIntake(DomainEvent):
    """No routing rule places the report (outside every cell, or no rule for its category
    there): the case stays `reported` in the operators' intake queue, to be registered and
    dispatched by hand, rejected or merged. `reason` says why the rules did not place it."""

    reason: str = ""


@dataclass(frozen=True)
class CaseWarned(DomainEvent):
    """A running time limit is close to its due time (预警). `limit` is "acknowledge" or
    "resolve"."""

    limit: str = "resolve"
    due: datetime | None = None


@dataclass(frozen=True)
class CaseOverdue(DomainEvent):
    """A time limit passed without the action it asks for (超期)."""

    limit: str = "resolve"
    due: datetime | None = None


@dataclass(frozen=True)
class CaseEscalated(DomainEvent):
    """The case was raised to a higher supervisor level (督办), e.g. street → district."""

    level: int = 1
    reason: str = ""


@dataclass(frozen=True)
class CaseSupervised(DomainEvent):
    """An operator pressed the department holding the case by hand (督办), with a note and,
    optionally, the time by which the department is to answer."""

    department_code: str | None = None
    note: str = ""
    respond_by: datetime | None = None


@dataclass(frozen=True)
class CaseUrged(DomainEvent):
    """An operator urged the department holding the case to get on with it (催办), with a
    note; lighter than supervision, it sets no time to answer."""

    department_code: str | None = None
    note: str = ""


@dataclass(frozen=True)
class ExtensionRequested(DomainEvent):
    """The department asks for more time (延期申请)."""

    department_code: str | None = None
    requested_due: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class ExtensionApproved(DomainEvent):
    """An operator granted the extension; `new_due` replaces the resolve due time."""

    new_due: datetime | None = None


@dataclass(frozen=True)
class ExtensionRejected(DomainEvent):
    """An operator refused the extension; the due time stays."""

    reason: str = ""


@dataclass(frozen=True)
class CaseRated(DomainEvent):
    """The reporter rated the handling after closure (满意度)."""

    rating: Satisfaction = Satisfaction.satisfied
    comment: str = ""


# --- revisit (回访) after a dissatisfied rating (see revisits.py) ----------------------------


@dataclass(frozen=True)
class RevisitOpened(DomainEvent):
    """A 不满意 rating opened a revisit task: an operator is to call the reporter back by
    `due`."""

    due: datetime | None = None


@dataclass(frozen=True)
class RevisitClosed(DomainEvent):
    """The operator called the reporter back: `outcome` "closed" (the case stays closed, with
    the note) or "rework" (the case goes back to its department); `rating_after` is the
    reporter's satisfaction after the call, when they gave one."""

    outcome: str = "closed"
    note: str = ""
    rating_after: Satisfaction | None = None
