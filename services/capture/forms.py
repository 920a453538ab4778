"""Reading a grid worker's report from an HTTP request: JSON, or multipart with photos.

multipart/form-data parts: `report` (the ReportIn JSON), `photos` (up to 6 files) and
`after_photo` (one file, required exactly when `handled_on_spot` is true).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import request

from services.capture.intake import PhotoUpload
from services.capture.photos import MAX_BYTES
from services.capture.schemas import ReportIn
from services.http.errors import Unprocessable
from services.http.validation import (
    UnsupportedMediaType,
    check_size,
    json_body,
    parse_json,
    validate,
)

MAX_PHOTOS = 6
MAX_JSON_BYTES = 256 * 1024
MAX_MULTIPART_BYTES = (MAX_PHOTOS + 1) * MAX_BYTES + MAX_JSON_BYTES
CLOCK_SKEW = timedelta(minutes=10)
# The earliest `occurred_at` taken: anything before it is a phone's clock gone wrong (and an
# instant of year 1 written with an offset east of UTC has no UTC form at all).
EARLIEST_OCCURRED = datetime(2000, 1, 1, tzinfo=UTC)
FILE_FIELDS = ("photos", "after_photo")


def _multipart() -> tuple[ReportIn, list[PhotoUpload]]:
    check_size(MAX_MULTIPART_BYTES)
    raw = request.form.get("report")
    if raw is None:
        raise Unprocessable("the part 'report' (the report as JSON) is missing", field="report")
    data = parse_json(raw, "report")
    report = validate(ReportIn, data)
    for name in request.files:
        if name not in FILE_FIELDS:
            raise Unprocessable(f"unexpected file part {name!r}", field=name)
    photos = request.files.getlist("photos")
    if len(photos) > MAX_PHOTOS:
        raise Unprocessable(f"at most {MAX_PHOTOS} photos", field="photos")
    after = request.files.getlist("after_photo")
    if len(after) > 1:
        raise Unprocessable("at most one after photo", field="after_photo")
    uploads = [
        PhotoUpload("before", f"photos[{i}]", f.stream.read(MAX_BYTES + 1), f.mimetype)
        for i, f in enumerate(photos)
    ]
    uploads += [
        PhotoUpload("after", "after_photo", f.stream.read(MAX_BYTES + 1), f.mimetype) for f in after
    ]
    return report, uploads


def report_request() -> tuple[ReportIn, list[PhotoUpload]]:
    """The validated report and its photo uploads (400/413/415/422 naming the field)."""
    if request.mimetype == "application/json":
        report, uploads = json_body(ReportIn, MAX_JSON_BYTES), []
    elif request.mimetype == "multipart/form-data":
        report, uploads = _multipart()
    else:
        raise UnsupportedMediaType(
            "send application/json or multipart/form-data", field="Content-Type"
        )
    has_after = any(u.kind == "after" for u in uploads)
    if report.handled_on_spot and not has_after:
        raise Unprocessable(
            "a report handled on the spot needs an after photo", field="after_photo"
        )
    if has_after and not report.handled_on_spot:
        raise Unprocessable("an after photo needs handled_on_spot: true", field="handled_on_spot")
    if report.occurred_at > datetime.now(UTC) + CLOCK_SKEW:
        raise Unprocessable("occurred_at is in the future", field="occurred_at")
    if report.occurred_at < EARLIEST_OCCURRED:
        raise Unprocessable(
            f"occurred_at is before {EARLIEST_OCCURRED:%Y-%m-%d}", field="occurred_at"
        )
    return report, uploads
