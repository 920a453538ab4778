"""What grid workers' phones send and get back (pydantic models: they validate the requests and
generate the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Crs = Literal["wgs84", "gcj02", "bd09"]
PlacementStatus = Literal["inside", "snapped", "outside"]


class Location(BaseModel):
    """A point as the phone measured it, in the datum it names."""

    model_config = ConfigDict(extra="forbid")
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lng: float = Field(ge=-180, le=180, allow_inf_nan=False)
    crs: Crs = Field(description="datum of lat/lng: wgs84, gcj02 (AMap/Tencent) or bd09 (Baidu)")
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000, allow_inf_nan=False)


class ReportIn(BaseModel):
    """A report from a grid worker; `id` is made by the phone and makes retries safe."""

    model_config = ConfigDict(extra="forbid")
    id: UUID = Field(description="made by the phone; sending the same id again is a retry")
    category: str = Field(pattern=r"^[0-9]{6}$", description="small-class code of the catalog")
    description: str = Field(min_length=1, max_length=2000)
    location: Location
    occurred_at: AwareDatetime
    handled_on_spot: bool = Field(
        default=False, description="fixed on the spot (needs an after photo, multipart only)"
    )
    answers: dict[str, str] = Field(
        default_factory=dict,
        max_length=20,
        description="answers to the category's extra questions, by question code",
    )


class ReportMultipart(BaseModel):
    """multipart/form-data: the report as JSON in `report`, photos as files."""

    report: str = Field(description="the ReportIn document, JSON-encoded")
    photos: list[bytes] = Field(
        default_factory=list, max_length=6, description="up to 6 JPEG/PNG/WebP photos, 10 MB each"
    )
    after_photo: bytes = Field(
        default=b"", description="the photo after the fix, required with handled_on_spot"
    )


class CategoryRef(BaseModel):
    code: str
    name_zh: str
    name_en: str
    priority: Literal["normal", "urgent"]


class Placement(BaseModel):
    """Where the report falls on the grid; `outside` reports are kept and flagged."""

    status: PlacementStatus
    distance_m: float | None
    cell_id: int | None
    cell_code: str | None
    community_code: str | None
    street_code: str | None
    district_code: str | None
    grid_version: int | None


class PointOut(BaseModel):
    lat: float | None
    lng: float | None
    crs: Literal["wgs84"] = "wgs84"
    accuracy_m: float | None
    submitted_crs: str


class PhotoOut(BaseModel):
    id: UUID
    kind: Literal["before", "after"]
    media_type: str
    width: int
    height: int
    url: str
    thumbnail_url: str


class CaseRef(BaseModel):
    """The case registered for a report by the router (立案): where it is and who holds it."""

    id: UUID
    state: str
    department_code: str | None
    department_name: str | None
    ack_due: datetime | None
    resolve_due: datetime | None
    merged_into: UUID | None = Field(None, description="the open case it duplicates, if merged")


class ResolutionOut(BaseModel):
    at: datetime
    note: str = Field(description="the department's note on what it did")
    photo_url: str | None = Field(description="the after-photo (thumbnail), when there is one")


class ReportOut(BaseModel):
    id: UUID
    case_no: str
    status: str = Field(description="reported until the case is registered, then the case state")
    channel: Literal["grid", "open311", "hotline"]
    category: CategoryRef
    description: str | None = Field(description="withheld (null) when a moderator redacted it")
    location: PointOut
    placement: Placement
    occurred_at: datetime
    received_at: datetime
    handled_on_spot: bool
    reporter_id: int | None
    attributes: dict[str, Any] = Field(
        default_factory=dict,
        description="answers to the category's extra questions by code (and an Open311 "
        "request's own attributes)",
    )
    photos: list[PhotoOut]
    case: CaseRef | None = Field(None, description="absent until the case is registered")
    resolution: ResolutionOut | None = Field(
        None, description="the department's last resolution (my reports only)"
    )
    rating: Literal["satisfied", "basically_satisfied", "dissatisfied"] | None = Field(
        None, description="the reporter's rating after closure (my reports only)"
    )


class TimelineEntry(BaseModel):
    at: datetime
    event: str
    note: str | None = None


class ReportDetail(ReportOut):
    timeline: list[TimelineEntry]


class ReportPage(BaseModel):
    items: list[ReportOut]
    page: int
    per_page: int
    total: int


class PageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=20, ge=1, le=100)


class TaskOut(BaseModel):
    id: int
    kind: Literal["verify"] = "verify"
    status: Literal["open", "done", "cancelled"]
    report_id: UUID
    case_no: str
    case_ref: str | None
    cell_code: str
    category: CategoryRef
    description: str | None = Field(description="withheld (null) when a moderator redacted it")
    lat: float | None
    lng: float | None
    created_at: datetime
    due_at: datetime | None


class TaskList(BaseModel):
    items: list[TaskOut]


class PhotoQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    thumbnail: bool = False


class PatrolPing(BaseModel):
    """One point of a worker's track, as the phone buffered it."""

    model_config = ConfigDict(extra="forbid")
    t: AwareDatetime
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lng: float = Field(ge=-180, le=180, allow_inf_nan=False)
    crs: Crs
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000, allow_inf_nan=False)


class PatrolBatchIn(BaseModel):
    """Up to 500 buffered points; `batch_id` (optional, made by the phone) makes retries safe."""

    model_config = ConfigDict(extra="forbid")
    batch_id: UUID | None = None
    pings: list[PatrolPing] = Field(min_length=1, max_length=500)


class PatrolAccepted(BaseModel):
    batch_id: UUID
    accepted: int
    duplicate: bool = Field(description="true when this batch_id was accepted before")
