"""Commands of the handling half of the closed loop: what departments, operators, grid workers
and reporters ask of a case, and what the SLA sweeper asks. Imperative and immutable; the
HTTP views, the scheduler and any consumer build them and call the handler of the same name
(`acknowledge_case` for `AcknowledgeCase`, …).

`actor` is the user name recorded on the case events (None for the system).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from services.capture.photos import CleanPhoto

# --- department -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AcknowledgeCase:
    """Sign for a dispatched case (签收)."""

    case_id: uuid.UUID
    actor: str
    # The department acting: when given, the case must be with it, checked under the lock.
    department_code: str | None = None


@dataclass(frozen=True)
class ReturnCase:
    """Send a case back to the command center (退回); the reason is required."""

    case_id: uuid.UUID
    actor: str
    reason: str
    # The department acting: when given, the case must be with it, checked under the lock.
    department_code: str | None = None


@dataclass(frozen=True)
class ResolveCase:
    """Report the problem fixed (处置完毕), with a note and photos as evidence."""

    case_id: uuid.UUID
    actor: str
    note: str = ""
    photos: tuple[CleanPhoto, ...] = ()
    # The department acting: when given, the case must be with it, checked under the lock.
    department_code: str | None = None


@dataclass(frozen=True)
class RequestExtension:
    """Ask for more time (延期申请): a reason and the resolve due time wanted."""

    case_id: uuid.UUID
    actor: str
    requested_due: datetime
    reason: str
    # The department acting: when given, the case must be with it, checked under the lock.
    department_code: str | None = None


# --- operator -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecideExtension:
    """Approve (with the new due time, default the one asked for) or reject (with a reason)
    the pending extension request."""

    case_id: uuid.UUID
    actor: str
    approve: bool
    new_due: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class RegisterCase:
    """Register (立案) a report that waits for an operator, then dispatch it: to
    `department_code`, or by the routing rules when None."""

    report_id: uuid.UUID
    actor: str
    department_code: str | None = None


@dataclass(frozen=True)
class RejectCase:
    """Refuse to register a report (不予立案), with the reason."""

    report_id: uuid.UUID
    actor: str
    reason: str


@dataclass(frozen=True)
class MergeCase:
    """Merge a report waiting for registration into an open case as its duplicate."""

    case_id: uuid.UUID
    actor: str
    duplicate_of: uuid.UUID


@dataclass(frozen=True)
class ModerateReport:
    """Hide a report from the public, redact its text, or hide its photos (None: unchanged)."""

    report_id: uuid.UUID
    actor: str
    reason: str
    hidden: bool | None = None
    redacted: bool | None = None
    photos_hidden: bool | None = None


# --- grid worker and reporter --------------------------------------------------------------


@dataclass(frozen=True)
class VerifyCase:
    """Answer a verification task (核查): pass closes the case, fail (with a photo) sends it
    back to the department as rework."""

    task_id: int
    worker_id: int
    actor: str
    passed: bool
    note: str = ""
    photos: tuple[CleanPhoto, ...] = ()


@dataclass(frozen=True)
class RateCase:
    """The reporter's rating of a closed case (满意 / 基本满意 / 不满意)."""

    case_id: uuid.UUID
    actor: str
    rating: str
    comment: str = ""


# --- SLA sweeper ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepCase:
    """Check one case's running time limits: warn, mark overdue, escalate as due."""

    case_id: uuid.UUID


@dataclass(frozen=True)
class Handled:
    """What a handler did: the case, its state afterwards and the events it recorded."""

    case_id: uuid.UUID
    state: str
    events: tuple[str, ...] = ()
    replayed: bool = False
    files: tuple[str, ...] = ()
