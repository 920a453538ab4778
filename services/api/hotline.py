"""The hotline intake (一门受理) of the command center: an operator taking a 12345 call files
the caller's report with channel `hotline` (caller's name and phone optional, shown only to
operators of the case's place as any reporter's), after looking at the open cases of the same
category near the place; or attaches the call to one of them: the report is merged into that
case (the call counted among its duplicates, the caller told with it). The place is picked on
the map or found in the gazetteer (`/places`: pinyin initials or name, services.places)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, Field

from geo.datum import InvalidCoordinate, UnknownDatum, to_wgs84
from services.api.casework import gridflow, in_place, place_of, visible_case
from services.api.mobile import accept, show_report
from services.api.openapi import operation
from services.auth import ADMIN, OPERATOR, current_principal, requires
from services.capture.intake import CaptureReport
from services.capture.schemas import Crs, Location, ReportOut
from services.domain.states import CaseState, is_open
from services.http.errors import Conflict, Unprocessable
from services.http.validation import json_body, query_args
from services.store.cases.nearby import open_cases_near
from services.store.places import search_places

bp = Blueprint("hotline", __name__, url_prefix="/api/v1/operator/hotline")
TAGS = ["operator"]


class CallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID = Field(description="made by the form; sending the same id again is a retry")
    category: str = Field(pattern=r"^[0-9]{6}$")
    description: str = Field(min_length=1, max_length=2000, pattern=r"\S")
    location: Location
    address: str | None = Field(default=None, max_length=200)
    caller_name: str | None = Field(default=None, max_length=50)
    caller_phone: str | None = Field(default=None, pattern=r"^\+?[0-9][0-9 -]{4,19}$")
    attach_to: UUID | None = Field(
        default=None, description="an open case the call is about: the report is merged into it"
    )


class NearbyQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str = Field(pattern=r"^[0-9]{6}$")
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lng: float = Field(ge=-180, le=180, allow_inf_nan=False)
    crs: Crs = "wgs84"


class NearbyCase(BaseModel):
    id: UUID
    case_no: str
    state: str
    created_at: datetime
    duplicate_count: int
    distance_m: float
    lat: float | None
    lng: float | None
    summary: str | None
    address: str | None


class NearbyList(BaseModel):
    items: list[NearbyCase]


@bp.get("/nearby")
@operation("Open cases of a category near a point: the duplicates a call may be about",
           tags=TAGS, query=NearbyQuery, responses={200: NearbyList}, errors=(422,))  # fmt: skip
@requires(OPERATOR, ADMIN)
def nearby():
    q = query_args(NearbyQuery)
    try:
        lat, lng = to_wgs84(q.lat, q.lng, q.crs)
    except (UnknownDatum, InvalidCoordinate) as exc:
        raise Unprocessable(str(exc), field="crs") from exc
    with gridflow().engine.connect() as conn:
        rows = open_cases_near(conn, place_of(current_principal()), q.category, lat, lng)
    return jsonify(NearbyList(items=[NearbyCase(**r) for r in rows]).model_dump(mode="json"))


@bp.post("/calls")
@operation(
    "File a hotline call as a report (channel hotline), or attach it to an open case",
    description="Same flow as every channel: the router registers and dispatches the case. "
    "With `attach_to` the report is merged into that open case instead (409 if it is closed).",
    tags=TAGS, body=CallIn, responses={200: ReportOut, 201: ReportOut},
    errors=(404, 409, 422, 503),
)  # fmt: skip
@requires(OPERATOR, ADMIN)
def call():
    body = json_body(CallIn)
    me = current_principal()
    if body.attach_to is not None:
        target = visible_case(body.attach_to, lambda row: in_place(me, row))
        if not is_open(CaseState(target["state"])):
            raise Conflict("the case is closed: file the call as a new report", field="attach_to",
                           details={"state": target["state"]})  # fmt: skip
    loc = body.location
    cmd = CaptureReport(
        id=body.id, channel="hotline", category_code=body.category,
        description=body.description.strip(), lat=loc.lat, lng=loc.lng, crs=loc.crs,
        accuracy_m=loc.accuracy_m, occurred_at=datetime.now(UTC).replace(microsecond=0),
        canonical=body.model_dump(mode="json"), address=body.address,
        reporter_contact={"name": body.caller_name, "phone": body.caller_phone},
        attach_to=body.attach_to,
    )  # fmt: skip
    result = accept(cmd)
    shown = show_report(result, me).model_dump(mode="json")
    return jsonify(shown), 201 if result.created else 200


class PlacesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(
        min_length=1,
        max_length=50,
        pattern=r"\S",
        description="pinyin initials or spelling (zbs), or part of the name or code",
    )


class PlaceOut(BaseModel):
    kind: str
    name: str
    code: str | None
    lat: float
    lng: float


class PlaceList(BaseModel):
    items: list[PlaceOut]


@bp.get("/places")
@operation("Places of the gazetteer by pinyin initials or name (WGS84 points)", tags=TAGS,
           query=PlacesQuery, responses={200: PlaceList}, errors=(422,))  # fmt: skip
@requires(OPERATOR, ADMIN)
def places():
    q = query_args(PlacesQuery)
    with gridflow().engine.connect() as conn:
        rows = search_places(conn, q.q)
    return jsonify(PlaceList(items=[PlaceOut(**r) for r in rows]).model_dump(mode="json"))
