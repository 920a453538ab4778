"""The field side of the loop: a grid worker verifies a resolved case in their cells (核查),
the reporter rates a closed one (满意度), and the photos of a case are served to whoever may
see the case.

Verification answers come from the phone's outbox as multipart/form-data (the answer as JSON
in `verification`, photos in `photo`) or as JSON; the same answer sent again is a 200 with
`replayed: true`.
"""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, jsonify, request

from services.api.casework import (
    calendars,
    case_out,
    gridflow,
    in_place,
    may_see_case,
    now,
    run,
    visible_case,
)
from services.api.evidence_upload import photos_from_request
from services.api.handling_schemas import (
    CaseOut,
    PhotoQuery,
    RatingIn,
    VerifyIn,
    VerifyMultipart,
    VerifyOut,
)
from services.api.openapi import operation
from services.api.reports import private_photo
from services.auth import ADMIN, GRID_WORKER, OPERATOR, current_principal, rate_limited, requires
from services.auth.principal import Principal
from services.capture import media
from services.capture.moderation import sees_moderated
from services.cases.commands import RateCase, VerifyCase
from services.cases.field import rate_case, verify_case
from services.http.errors import NotFound, Unprocessable
from services.http.validation import json_body, parse_json, query_args, validate
from services.store.case_photos import photo_of_case
from services.store.cases import handling as store
from services.store.cases import intake
from services.store.cases import views as case_views

bp = Blueprint("verification", __name__, url_prefix="/api/v1")
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")


@bp.post("/me/tasks/<int:task_id>/verify")
@operation(
    "Answer a verification task in my cells: pass closes the case, fail sends it back",
    description="multipart/form-data (`verification` JSON + `photo` files) or JSON. A failed "
    "verification needs a photo. Sending the same answer again returns it (replayed).",
    tags=["grid worker"],
    body={"application/json": VerifyIn, "multipart/form-data": VerifyMultipart},
    responses={200: VerifyOut}, errors=(400, 404, 409, 413, 415, 422, 429, 503),
)  # fmt: skip
@requires(GRID_WORKER)
@rate_limited("evidence")
def verify(task_id: int):
    me = current_principal()
    with gridflow().engine.connect() as conn:
        task = store.get_task(conn, task_id)
    # Who may answer is settled before any photo is decoded.
    if task is None or not (task["cell_code"] in me.cell_codes or task["worker_id"] == me.user_id):
        raise NotFound(f"no verification task {task_id}", field="task_id")
    answer, photos = _answer()
    cmd = VerifyCase(task_id, me.user_id, me.username, answer.passed, (answer.note or "").strip(),
                     tuple(photos))  # fmt: skip
    media_dir = gridflow().config.media_dir
    done = run(lambda uow: verify_case(uow, cmd, calendars=calendars(), now=now(),
                                       media_dir=media_dir))  # fmt: skip
    out = VerifyOut(task_id=task_id, case_id=done.case_id, state=done.state,
                    passed=answer.passed, replayed=done.replayed)  # fmt: skip
    return jsonify(out.model_dump(mode="json"))


@bp.post("/cases/<uuid:case_id>/rating")
@operation(
    "Rate a closed case (满意 / 基本满意 / 不满意), once",
    description="By its reporter, or by an operator of its jurisdiction recording a "
    "follow-up call (回访) with a hotline or Open311 reporter.",
    tags=["feedback"], body=RatingIn, responses={200: CaseOut}, errors=(400, 404, 409, 422),
)  # fmt: skip
@requires(GRID_WORKER, OPERATOR, ADMIN)
def rating(case_id: UUID):
    body = json_body(RatingIn)
    me = current_principal()
    reporter = _reporter_of(case_id)
    visible_case(case_id, lambda row: _may_rate(me, row, reporter))
    cmd = RateCase(case_id, me.username, body.rating, body.comment.strip())
    hours = gridflow().config.revisit_working_hours
    run(lambda uow: rate_case(uow, cmd, now=now(), calendars=calendars(), revisit_hours=hours))
    with gridflow().engine.connect() as conn:
        row = case_views.one_case(conn, case_id)
    return jsonify(case_out(row, me).model_dump(mode="json"))


@bp.get("/cases/<uuid:case_id>/photos/<uuid:photo_id>")
@operation(
    "A photo of a case: its report's photos and the handling evidence; ?thumbnail=1 for the "
    "320 px JPEG",
    tags=["feedback"], query=PhotoQuery, responses={200: IMAGE_TYPES}, errors=(404, 422),
)  # fmt: skip
@requires()
def case_photo(case_id: UUID, photo_id: UUID):
    thumbnail = query_args(PhotoQuery).thumbnail
    me = current_principal()
    reporter = _reporter_of(case_id)
    visible_case(case_id, lambda row: may_see_case(me, row, reporter))
    with gridflow().engine.connect() as conn:
        row = photo_of_case(conn, case_id, photo_id)
    if row is None or (row["hidden"] and not sees_moderated(me)):
        raise NotFound(f"no photo {photo_id}", field="photo_id")
    path = media.resolve(gridflow().config.media_dir, row["thumb_path" if thumbnail else "path"])
    if not path.is_file():
        raise NotFound("the photo file is missing", field="photo_id")
    return private_photo(path, "image/jpeg" if thumbnail else row["media_type"])


def _answer() -> tuple[VerifyIn, list]:
    if request.mimetype == "multipart/form-data":
        raw = request.form.get("verification")
        if raw is None:
            raise Unprocessable("the part 'verification' (the answer as JSON) is missing",
                                field="verification")  # fmt: skip
        data = parse_json(raw, "verification")
        photos = photos_from_request(("photo", "photos"), text_fields=("verification",))
        return validate(VerifyIn, data), photos
    return json_body(VerifyIn), []


def _reporter_of(case_id: UUID) -> int | None:
    with gridflow().engine.connect() as conn:
        row = case_views.one_case(conn, case_id)
        if row is None:
            return None
        report = intake.report_row(conn, row["report_id"])
    return report["reporter_id"] if report else None


def _may_rate(me: Principal, row: dict, reporter_id: int | None) -> bool:
    if me.role == GRID_WORKER:
        return reporter_id is not None and reporter_id == me.user_id
    return in_place(me, row)
