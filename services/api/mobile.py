"""The grid workers' API (their phones): file reports, read them back, tasks, patrol tracks."""

from __future__ import annotations

import orjson
from flask import Blueprint, current_app, jsonify, request, url_for

from geo.datum import InvalidCoordinate, UnknownDatum
from services.api.evidence_upload import photo_error
from services.api.openapi import operation
from services.auth import GRID_WORKER, current_principal, rate_limited, requires
from services.auth.principal import Principal
from services.capture.answers import checked_answers
from services.capture.forms import report_request
from services.capture.intake import (
    CaptureConflict,
    Captured,
    CaptureReport,
    UnknownCategory,
    capture_report,
)
from services.capture.moderation import as_seen_by, photos_seen_by
from services.capture.patrol import PingRejected, Track, receive_pings, track_of
from services.capture.photos import PhotoRejected
from services.capture.placement import place
from services.capture.present import report_out, task_out
from services.capture.schemas import (
    PageQuery,
    PatrolAccepted,
    PatrolBatchIn,
    ReportIn,
    ReportMultipart,
    ReportOut,
    ReportPage,
    ResolutionOut,
    TaskList,
)
from services.domain.questions import QuestionError
from services.http.errors import Conflict, Unavailable, Unprocessable
from services.http.validation import check_size, json_body, query_args
from services.locator import GridUnavailable, InvalidAccuracy
from services.store import report_rows
from services.store.cases.history import latest_resolutions

bp = Blueprint("mobile", __name__, url_prefix="/api/v1")
TAGS = ["grid worker"]
MAX_PING_BYTES = 512 * 1024


def _resolution(row: dict, resolved: dict, after: dict) -> ResolutionOut | None:
    """What the department did about a report's case, as its reporter sees it."""
    done = resolved.get(row["case_id"])
    if done is None:
        return None
    photo = after.get(row["case_id"])
    url = f"/api/v1/cases/{row['case_id']}/photos/{photo}?thumbnail=1" if photo else None
    return ResolutionOut(at=done["at"], note=done["note"], photo_url=url)


def photo_url(photo_id, thumbnail: bool) -> str:
    return url_for("reports.photo", photo_id=photo_id, thumbnail=1 if thumbnail else None)


def locate_with_app(lat, lng, crs, accuracy_m):
    return place(current_app.extensions["gridflow"], lat, lng, crs, accuracy_m)


def accept(cmd: CaptureReport):
    """Runs the capture command and maps its failures to API errors (shared with Open311)."""
    gf = current_app.extensions["gridflow"]
    try:
        return capture_report(gf.engine, gf.config.media_dir, locate_with_app, cmd)
    except UnknownCategory as exc:
        raise Unprocessable(f"unknown category {exc}", field="category") from exc
    except CaptureConflict as exc:
        raise Conflict(str(exc), field="id") from exc
    except PhotoRejected as exc:
        raise photo_error(exc) from exc
    except UnknownDatum as exc:
        raise Unprocessable(str(exc), field="location.crs") from exc
    except InvalidCoordinate as exc:
        raise Unprocessable(str(exc), field=f"location.{exc.field}") from exc
    except InvalidAccuracy as exc:
        raise Unprocessable(str(exc), field="location.accuracy_m") from exc
    except GridUnavailable as exc:
        raise Unavailable("the grid cannot be loaded right now; retry later") from exc


def show_report(result: Captured, viewer: Principal):
    """The answer to a capture: built from what was written for a new report (nothing read
    back), the stored report as it stands now (as `viewer` may see it) for a replay."""
    if result.report is not None:
        return report_out(result.report, result.report["photos"], photo_url)
    gf = current_app.extensions["gridflow"]
    with gf.engine.connect() as conn:
        row = report_rows.get_report(conn, result.report_id)
        photos = photos_seen_by(viewer, row, report_rows.photos_of(conn, [row["id"]])[row["id"]])
    return report_out(as_seen_by(viewer, row), photos, photo_url)


@bp.post("/reports")
@operation(
    "File a report (JSON, or multipart/form-data with photos)",
    description="The phone makes `id`: a retry with the same body returns the same report "
    "(200); the same id with another body is a 409. Accepted means stored with its outbox "
    "event in one transaction; Kafka is never on this path.",
    tags=TAGS,
    body={"application/json": ReportIn, "multipart/form-data": ReportMultipart},
    responses={200: ReportOut, 201: ReportOut},
    errors=(400, 409, 413, 415, 422, 429, 503),
)
@requires(GRID_WORKER)
@rate_limited("reports")
def file_report():
    report, uploads = report_request()
    me = current_principal()
    loc = report.location
    try:
        answers = checked_answers(current_app.extensions["gridflow"].engine, report.category,
                                  report.answers)  # fmt: skip
    except QuestionError as exc:
        raise Unprocessable(exc.message, field=f"answers.{exc.field}") from exc
    cmd = CaptureReport(
        id=report.id,
        channel="grid",
        category_code=report.category,
        description=report.description,
        lat=loc.lat,
        lng=loc.lng,
        crs=loc.crs,
        accuracy_m=loc.accuracy_m,
        occurred_at=report.occurred_at,
        canonical=report.model_dump(mode="json"),
        handled_on_spot=report.handled_on_spot,
        reporter_id=me.user_id,
        photos=tuple(uploads),
        attributes=answers,
    )
    result = accept(cmd)
    body = show_report(result, me).model_dump(mode="json")
    location = url_for("reports.report", report_id=result.report_id)
    return jsonify(body), 201 if result.created else 200, {"Location": location}


@bp.get("/me/reports")
@operation("My reports, newest first", tags=TAGS, query=PageQuery, responses={200: ReportPage},
           errors=(422,))  # fmt: skip
@requires(GRID_WORKER)
def my_reports():
    q = query_args(PageQuery)
    me = current_principal()
    gf = current_app.extensions["gridflow"]
    with gf.engine.connect() as conn:
        rows, total = report_rows.reports_of_reporter(
            conn, me.user_id, limit=q.per_page, offset=(q.page - 1) * q.per_page
        )
        photos = report_rows.photos_of(conn, [r["id"] for r in rows])
        case_ids = [r["case_id"] for r in rows if r["case_id"]]
        resolved = latest_resolutions(conn, case_ids)
        after = report_rows.resolution_photos(conn, case_ids)
    items = [
        report_out(as_seen_by(me, r), photos_seen_by(me, r, photos[r["id"]]), photo_url).model_copy(
            update={"rating": r["rating"], "resolution": _resolution(r, resolved, after)}
        )
        for r in rows
    ]
    page = ReportPage(items=items, page=q.page, per_page=q.per_page, total=total)
    return jsonify(page.model_dump(mode="json"))


@bp.get("/me/tasks")
@operation("Open verification tasks in my cells", tags=TAGS, responses={200: TaskList})
@requires(GRID_WORKER)
def my_tasks():
    me = current_principal()
    gf = current_app.extensions["gridflow"]
    with gf.engine.connect() as conn:
        rows = report_rows.open_tasks(conn, me.user_id, sorted(me.cell_codes))
    items = [task_out(as_seen_by(me, r)) for r in rows]
    return jsonify(TaskList(items=items).model_dump(mode="json"))


@bp.post("/patrol/pings")
@operation(
    "Upload a batch of up to 500 buffered track points",
    description="Validated, converted to WGS84 and written to the outbox (one event per "
    "batch) in one transaction; the stream aggregates tracks. Kafka is not on this path.",
    tags=TAGS,
    body=PatrolBatchIn,
    responses={200: PatrolAccepted, 202: PatrolAccepted},
    errors=(400, 413, 422, 429),
)
@requires(GRID_WORKER)
@rate_limited("patrol")
def patrol_pings():
    track = _patrol_track()
    me = current_principal()
    try:
        receipt = receive_pings(current_app.extensions["gridflow"].engine, me.user_id, track)
    except PingRejected as exc:
        raise Unprocessable(str(exc), field=exc.field) from exc
    body = PatrolAccepted(
        batch_id=receipt.batch_id, accepted=receipt.accepted, duplicate=receipt.duplicate
    )
    return jsonify(body.model_dump(mode="json")), 200 if receipt.duplicate else 202


def _patrol_track() -> Track:
    """The batch in the body: read column by column when it is plainly valid; anything else is
    validated by the model, which answers 400/413/422 naming the field at fault."""
    check_size(MAX_PING_BYTES)
    raw = request.get_data(cache=True)
    if raw and len(raw) <= MAX_PING_BYTES:
        try:
            track = track_of(orjson.loads(raw))
        except orjson.JSONDecodeError:
            track = None
        if track is not None:
            return track
    return Track.of(json_body(PatrolBatchIn, MAX_PING_BYTES))
