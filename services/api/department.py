"""The departments' API (专业部门 / 责任单位): their cases, sorted by due time, and what they
do to them — acknowledge (签收), return (退回), resolve with evidence (处置完毕), ask for more
time (延期). Department staff see and act on their own department's cases only; any other
case is a 404, as if it did not exist."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from flask import Blueprint, jsonify, request

from services.api.casework import (
    calendars,
    case_detail,
    case_out,
    gridflow,
    now,
    run,
    visible_case,
)
from services.api.evidence_upload import photos_from_request
from services.api.handling_schemas import (
    CaseDetail,
    CaseOut,
    CasePage,
    DepartmentCasesQuery,
    Empty,
    ExtensionIn,
    ReasonIn,
    ResolveIn,
    ResolveMultipart,
)
from services.api.openapi import operation
from services.auth import DEPARTMENT_STAFF, current_principal, rate_limited, requires
from services.cases.commands import AcknowledgeCase, RequestExtension, ResolveCase, ReturnCase
from services.cases.department import (
    acknowledge_case,
    request_case_extension,
    resolve_case,
    return_case,
)
from services.domain.states import WITH_DEPARTMENT_STATES
from services.http.errors import Unprocessable
from services.http.validation import check_text, json_body, query_args
from services.store.cases import views as case_views
from services.store.scopes import NOTHING, Scope

bp = Blueprint("department", __name__, url_prefix="/api/v1/department")
TAGS = ["department"]
ACTION_ERRORS = (400, 404, 409, 422)
STATES = {"active": tuple(s.value for s in WITH_DEPARTMENT_STATES)}


def _department() -> str | None:
    """The caller's department: the handlers check again, under the case's lock, that the
    case is still with it."""
    return current_principal().department_code


def _mine(case_id: UUID) -> dict:
    me = current_principal()
    return visible_case(case_id, lambda row: row["department_code"] == me.department_code)


def _answer(case_id: UUID):
    with gridflow().engine.connect() as conn:
        row = case_views.one_case(conn, case_id)
    return jsonify(case_out(row, current_principal()).model_dump(mode="json"))


@bp.get("/cases")
@operation(
    "My department's cases, the most urgent due time first",
    description="`state=active` (default): dispatched or acknowledged. The due time is the "
    "acknowledge due time while dispatched, the resolve due time afterwards.",
    tags=TAGS, query=DepartmentCasesQuery, responses={200: CasePage}, errors=(422,),
)  # fmt: skip
@requires(DEPARTMENT_STAFF)
def cases():
    q = query_args(DepartmentCasesQuery)
    me = current_principal()
    picked = case_views.CaseFilter(
        scope=Scope("department", (me.department_code,)) if me.department_code else NOTHING,
        queue="most_urgent", states=STATES.get(q.state, (q.state,)),
        category_code=q.category or None, overdue=q.overdue,
    )  # fmt: skip
    with gridflow().engine.connect() as conn:
        rows, total = case_views.page_of_cases(
            conn, picked, limit=q.per_page, offset=(q.page - 1) * q.per_page
        )
    page = CasePage(items=[case_out(r, me) for r in rows], page=q.page, per_page=q.per_page,
                    total=total)  # fmt: skip
    return jsonify(page.model_dump(mode="json"))


@bp.get("/cases/<uuid:case_id>")
@operation("One of my department's cases with its history and photos", tags=TAGS,
           responses={200: CaseDetail}, errors=(404,))  # fmt: skip
@requires(DEPARTMENT_STAFF)
def case(case_id: UUID):
    return jsonify(case_detail(_mine(case_id), current_principal()).model_dump(mode="json"))


@bp.post("/cases/<uuid:case_id>/acknowledge")
@operation("Acknowledge (签收) a dispatched case", tags=TAGS, body=Empty,
           responses={200: CaseOut}, errors=ACTION_ERRORS)  # fmt: skip
@requires(DEPARTMENT_STAFF)
def acknowledge(case_id: UUID):
    if request.content_length:
        json_body(Empty)
    _mine(case_id)
    actor = current_principal().username
    cmd = AcknowledgeCase(case_id, actor, department_code=_department())
    run(lambda uow: acknowledge_case(uow, cmd, now=now()))
    return _answer(case_id)


@bp.post("/cases/<uuid:case_id>/return")
@operation("Return (退回) a case to the command center, with the reason", tags=TAGS,
           body=ReasonIn, responses={200: CaseOut}, errors=ACTION_ERRORS)  # fmt: skip
@requires(DEPARTMENT_STAFF)
def return_(case_id: UUID):
    body = json_body(ReasonIn)
    _mine(case_id)
    cmd = ReturnCase(case_id, current_principal().username, body.reason.strip(),
                     department_code=_department())  # fmt: skip
    run(lambda uow: return_case(uow, cmd, now=now()))
    return _answer(case_id)


@bp.post("/cases/<uuid:case_id>/resolve")
@operation(
    "Resolve (处置完毕) an acknowledged case with a note and photos",
    description="JSON with a note, or multipart/form-data with `note` and photos in `photo`. "
    "A note or at least one photo is required. Opens the field verification task.",
    tags=TAGS, body={"application/json": ResolveIn, "multipart/form-data": ResolveMultipart},
    responses={200: CaseOut}, errors=(*ACTION_ERRORS, 413, 415, 429, 503),
)  # fmt: skip
@requires(DEPARTMENT_STAFF)
@rate_limited("evidence")
def resolve(case_id: UUID):
    _mine(case_id)  # who may resolve is settled before any photo is decoded
    note, photos = _resolution()
    cmd = ResolveCase(case_id, current_principal().username, note, tuple(photos),
                      department_code=_department())  # fmt: skip
    config = gridflow().config
    run(lambda uow: resolve_case(
        uow, cmd, now=now(), media_dir=config.media_dir, calendars=calendars(),
        verify_limit=timedelta(minutes=config.verify_limit_minutes),
    ))  # fmt: skip
    return _answer(case_id)


@bp.post("/cases/<uuid:case_id>/extension")
@operation("Ask for more time (延期申请): the resolve due time wanted and why", tags=TAGS,
           body=ExtensionIn, responses={200: CaseOut}, errors=ACTION_ERRORS)  # fmt: skip
@requires(DEPARTMENT_STAFF)
def extension(case_id: UUID):
    body = json_body(ExtensionIn)
    _mine(case_id)
    cmd = RequestExtension(case_id, current_principal().username, body.requested_due,
                           body.reason.strip(), department_code=_department())  # fmt: skip
    run(lambda uow: request_case_extension(uow, cmd, now=now()))
    return _answer(case_id)


def _resolution() -> tuple[str, list]:
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        note = request.form.get("note", "")
        if len(note) > 2000:
            raise Unprocessable("at most 2000 characters", field="note")
        photos = photos_from_request(("photo", "photos"), text_fields=("note",))
    else:
        note, photos = json_body(ResolveIn).note, []
    note = check_text(note, "note").strip()
    if not note and not photos:
        raise Unprocessable("give a note or at least one photo as evidence", field="photo")
    return note, photos
