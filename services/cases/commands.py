"""The case's commands: what the router, departments, operators, grid workers and reporters
ask of a case, and what the SLA sweeper asks; and what a handler answers (`Handled`,
`CaseOutcome`). Imperative and immutable; the HTTP views, the scheduler and the stream
processors build them and call the handler of the same name (`acknowledge_case` for
`AcknowledgeCase`, …).

`actor` is the user name recorded on the case events (None for the system).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.capture.photos import CleanPhoto
from services.cases import payload

# --- router ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterReport:
    """Register (立案) the case of a captured report, detect a duplicate, route and dispatch it.

    `event_id` is the id of the ReportCaptured event the command comes from: a handler applies
    each event id once, however often it is delivered.
    """

    event_id: uuid.UUID
    report_id: uuid.UUID
    case_no: str
    category_code: str
    received_at: datetime
    handled_on_spot: bool = False
    lat: float | None = None
    lng: float | None = None
    cell_id: int | None = None
    cell_code: str | None = None
    grid_version: int | None = None
    community_code: str | None = None
    street_code: str | None = None
    district_code: str | None = None
    attach_to: uuid.UUID | None = None  # the open case a hotline call was attached to

    @classmethod
    def from_payload(cls, event_id: uuid.UUID, body: dict[str, Any]) -> RegisterReport:
        """Builds the command from a ReportCaptured payload; raises `InvalidCommand` naming the
        first field that is missing or malformed."""
        return cls(
            event_id=event_id,
            report_id=payload.uuid_value(body, "report_id"),
            case_no=payload.text_value(body, "case_no", required=True),
            category_code=payload.text_value(body, "category_code", required=True),
            received_at=payload.instant(body, "received_at"),
            handled_on_spot=payload.flag(body, "handled_on_spot"),
            lat=payload.number(body, "lat", -90, 90),
            lng=payload.number(body, "lng", -180, 180),
            cell_id=payload.integer(body, "cell_id"),
            cell_code=payload.code(body, "cell_code", 15),
            grid_version=payload.integer(body, "grid_version"),
            community_code=payload.code(body, "community_code", 12),
            street_code=payload.code(body, "street_code", 9),
            district_code=payload.code(body, "district_code", 6),
            attach_to=payload.optional_uuid(body, "attach_to"),
        )


@dataclass(frozen=True)
class DispatchCase:
    """Send a registered or returned case to a department (派遣), or move a dispatched one.

    `department_code` None lets the routing rules choose. `actor` is the operator's user name
    (None for the system).
    """

    case_id: uuid.UUID
    department_code: str | None = None
    actor: str | None = None


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
class UnmergeCase:
    """Take a merged report back out of the case it was merged into (within a day), with
    the reason; it waits for registration again as its own case."""

    case_id: uuid.UUID
    actor: str
    reason: str


@dataclass(frozen=True)
class SuperviseCase:
    """Press the department holding a case by hand (督办): a note, and optionally the time by
    which it is to answer."""

    case_id: uuid.UUID
    actor: str
    note: str
    respond_by: datetime | None = None


@dataclass(frozen=True)
class UrgeCase:
    """Urge the department holding a case to get on with it (催办), with a note."""

    case_id: uuid.UUID
    actor: str
    note: str


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


@dataclass(frozen=True)
class CloseRevisit:
    """The operator's call-back after a 不满意 rating (回访): `outcome` "closed" keeps the case
    closed with the note; "rework" re-opens it to its department. `rating_after` is the
    reporter's satisfaction after the call, if they gave one."""

    case_id: uuid.UUID
    actor: str
    outcome: str
    note: str
    rating_after: str | None = None


# --- SLA sweeper ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepCase:
    """Check one case's running time limits: warn, mark overdue, escalate as due."""

    case_id: uuid.UUID


@dataclass(frozen=True)
class CaseOutcome:
    """What registration or a dispatch did. `applied` is False when the command had been
    applied before."""

    applied: bool
    case_id: uuid.UUID | None
    state: str | None = None
    department_code: str | None = None
    duplicate_of: uuid.UUID | None = None
    ack_due: datetime | None = None
    resolve_due: datetime | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Handled:
    """What a handler did: the case, its state afterwards and the events it recorded."""

    case_id: uuid.UUID
    state: str
    events: tuple[str, ...] = ()
    replayed: bool = False
    files: tuple[str, ...] = ()
