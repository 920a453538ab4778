"""Requests and responses of the handling API (department, operator, verification, rating):
pydantic models that validate the requests and generate the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

CaseStateName = Literal[
    "reported", "registered", "rejected", "merged", "dispatched", "acknowledged", "returned",
    "resolved", "closed",
]  # fmt: skip
Rating = Literal["satisfied", "basically_satisfied", "dissatisfied"]
Reason = Annotated[str, Field(min_length=1, max_length=1000, pattern=r"\S")]
DepartmentCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- requests -------------------------------------------------------------------------------


class Empty(_In):
    """No fields."""


class ReasonIn(_In):
    reason: Reason


class ResolveIn(_In):
    note: str = Field(default="", max_length=2000)


class ResolveMultipart(BaseModel):
    """multipart/form-data: `note` as text, up to 6 photos in `photo` (or `photos`)."""

    note: str = Field(default="", max_length=2000)
    photo: list[bytes] = Field(default_factory=list, max_length=6,
                               description="JPEG/PNG/WebP photos, 10 MB each")  # fmt: skip


class ExtensionIn(_In):
    requested_due: AwareDatetime = Field(description="the resolve due time asked for")
    reason: Reason


class ApproveIn(_In):
    new_due: AwareDatetime | None = Field(
        default=None, description="the new resolve due time; default: the one asked for"
    )


class DispatchIn(_In):
    department_code: str | None = Field(
        default=None,
        pattern=r"^([A-Za-z0-9][A-Za-z0-9._-]{0,63})?$",
        description="the department; none (or empty) lets the routing rules choose",
    )


class RegisterIn(DispatchIn):
    pass


class MergeIn(_In):
    duplicate_of: str = Field(
        min_length=1, max_length=64, description="the open case it duplicates: id or case number"
    )


class ModerateIn(_In):
    hidden: bool | None = Field(default=None, description="hide the report from the public")
    redacted: bool | None = Field(default=None, description="hide the report's text")
    photos_hidden: bool | None = Field(default=None, description="hide the report's photos")
    reason: Reason


class VerifyIn(_In):
    passed: bool
    note: str | None = Field(default=None, max_length=1000)


class VerifyMultipart(BaseModel):
    """multipart/form-data: the VerifyIn JSON in `verification`, the photo in `photo`."""

    verification: str = Field(description="the VerifyIn document, JSON-encoded")
    photo: list[bytes] = Field(default_factory=list, max_length=6,
                               description="photos of the site (required when failed)")  # fmt: skip


class RatingIn(_In):
    rating: Rating = Field(description="满意 satisfied / 基本满意 basically / 不满意 dissatisfied")
    comment: str = Field(default="", max_length=1000)


class DepartmentCasesQuery(_In):
    state: Literal["active", "dispatched", "acknowledged", "returned", "resolved", "closed"] = (
        Field(default="active", description="active = dispatched or acknowledged")
    )
    overdue: bool | None = None
    category: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=50, ge=1, le=200)


class OperatorCasesQuery(_In):
    queue: Literal["intake", "returned", "extensions", "overdue", "open", "all"] = Field(
        default="open",
        description="intake: reports waiting to be registered or placed; extensions: pending "
        "requests; overdue: a limit has passed",
    )
    state: CaseStateName | None = None
    department: DepartmentCode | None = None
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=50, ge=1, le=200)


# --- responses ------------------------------------------------------------------------------


class Names(BaseModel):
    zh: str
    en: str


class CaseCategory(BaseModel):
    code: str
    name: Names
    priority: str


class ExtensionOut(BaseModel):
    id: int
    status: Literal["pending", "approved", "rejected", "lapsed"]
    requested_by: str
    requested_at: datetime
    requested_due: datetime
    reason: str
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    new_due: datetime | None


class RatingOut(BaseModel):
    rating: Rating
    comment: str
    rated_at: datetime


class Moderation(BaseModel):
    hidden: bool
    redacted: bool
    photos_hidden: bool


class AnswerOut(BaseModel):
    code: str
    text_zh: str = Field(description="the question")
    text_en: str
    answer: str


class CaseOut(BaseModel):
    id: UUID
    case_no: str
    report_id: UUID
    state: CaseStateName
    category: CaseCategory
    department_code: str | None
    department: Names | None
    cell_code: str | None
    community_code: str | None
    street_code: str | None
    district_code: str | None
    lat: float | None
    lng: float | None
    address: str | None
    description: str | None = Field(description="withheld (null) when a moderator redacted it")
    answers: list[AnswerOut] = Field(
        description="the report's answers to its category's extra questions (withheld, empty, "
        "when a moderator redacted its text)"
    )
    channel: str
    created_at: datetime
    registered_at: datetime | None
    dispatched_at: datetime | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    ack_due: datetime | None
    resolve_due: datetime | None
    due: datetime | None = Field(description="acknowledge due while dispatched, else resolve due")
    ack_overdue: bool
    resolve_overdue: bool
    overdue: bool
    escalation_level: int = Field(description="0 department, 1 street, 2 district")
    extension_count: int
    rework_count: int
    duplicate_count: int
    merged_into: UUID | None
    route_reason: str | None
    extension: ExtensionOut | None = Field(description="the newest extension request")
    rating: RatingOut | None
    moderation: Moderation
    seq: int | None = Field(description="id of the newest case event")
    actions: list[str] = Field(description="what may be done to the case now")


class CasePage(BaseModel):
    items: list[CaseOut]
    page: int
    per_page: int
    total: int


class CaseEventOut(BaseModel):
    id: int
    type: str
    actor: str | None
    at: datetime
    payload: dict[str, Any]


class CasePhotoOut(BaseModel):
    id: UUID
    kind: Literal["before", "after", "resolution", "verification"]
    media_type: str
    width: int
    height: int
    url: str
    thumbnail_url: str


class EligibleDepartment(BaseModel):
    code: str
    name: Names
    kind: str
    jurisdiction_code: str
    current: bool = Field(description="the department holding the case now")
    routed: bool = Field(description="the department the routing rules choose")


class EligibleDepartments(BaseModel):
    items: list[EligibleDepartment]


class CaseDetail(CaseOut):
    timeline: list[CaseEventOut]
    photos: list[CasePhotoOut]


class ModerationOut(Moderation):
    report_id: UUID


class VerifyOut(BaseModel):
    task_id: int
    case_id: UUID
    state: CaseStateName
    passed: bool
    replayed: bool = Field(description="the same answer had been recorded before")


class PhotoQuery(_In):
    thumbnail: bool = False
