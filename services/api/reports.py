"""Reading reports for every signed-in role (scoped by place), their photos, the catalog."""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, current_app, jsonify, send_file

from services.api.mobile import photo_url
from services.api.openapi import operation
from services.auth import current_principal, requires
from services.capture import media
from services.capture.access import may_see_report
from services.capture.moderation import as_seen_by, photos_seen_by, withheld
from services.capture.present import report_detail
from services.capture.schemas import PhotoQuery, ReportDetail
from services.catalog.schemas import CategoryList, category_out
from services.http.errors import NotFound
from services.http.validation import query_args
from services.store import report_rows
from services.store.catalog import list_categories

bp = Blueprint("reports", __name__, url_prefix="/api/v1")
TAGS = ["reports"]
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")


def _gf():
    return current_app.extensions["gridflow"]


@bp.get("/reports/<uuid:report_id>")
@operation(
    "A report with its timeline (workers: their own reports and cells; operators: their "
    "district or street)",
    tags=TAGS,
    responses={200: ReportDetail},
    errors=(404,),
)
@requires()
def report(report_id: UUID):
    me = current_principal()
    with _gf().engine.connect() as conn:
        row = report_rows.get_report(conn, report_id)
        # Outside the caller's scope answers exactly as a missing report: nothing leaks.
        if row is None or not may_see_report(me, row):
            raise NotFound(f"no report {report_id}", field="report_id")
        photos = photos_seen_by(me, row, report_rows.photos_of(conn, [report_id])[report_id])
        timeline = report_rows.timeline(conn, row)
    detail = report_detail(as_seen_by(me, row), photos, timeline, photo_url)
    return jsonify(detail.model_dump(mode="json"))


@bp.get("/photos/<uuid:photo_id>")
@operation(
    "A report photo (stripped of EXIF/GPS); ?thumbnail=1 for the 320 px JPEG thumbnail",
    tags=TAGS,
    query=PhotoQuery,
    responses={200: IMAGE_TYPES},
    errors=(404, 422),
)
@requires()
def photo(photo_id: UUID):
    thumbnail = query_args(PhotoQuery).thumbnail
    me = current_principal()
    with _gf().engine.connect() as conn:
        row = report_rows.photo_file(conn, photo_id)
    # A photo moderation withholds answers as a missing one.
    if row is None or not may_see_report(me, row) or withheld(me, row).photos:
        raise NotFound(f"no photo {photo_id}", field="photo_id")
    path = media.resolve(_gf().config.media_dir, row["thumb_path" if thumbnail else "path"])
    if not path.is_file():
        raise NotFound("the photo file is missing", field="photo_id")
    return private_photo(path, "image/jpeg" if thumbnail else row["media_type"])


def private_photo(path, mimetype: str):
    """A photo file as a response no shared cache keeps and no browser reuses unasked, so a
    moderator's decision applies at the next read."""
    response = send_file(path, mimetype=mimetype, conditional=True)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/categories")
@operation(
    "The category catalog: components and events, big class → small class, with limits",
    tags=["catalog"],
    responses={200: CategoryList},
)
@requires()
def categories():
    with _gf().engine.connect() as conn:
        items = [category_out(c) for c in list_categories(conn)]
    return jsonify(CategoryList(items=items).model_dump(mode="json"))
