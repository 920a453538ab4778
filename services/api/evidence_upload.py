"""Evidence photos in a multipart/form-data request (a resolution, a verification): read,
checked and cleaned (EXIF stripped, thumbnail made) before any command runs."""

from __future__ import annotations

from flask import request

from services.capture.photos import MAX_BYTES, CleanPhoto, PhotoRejected, clean_photo
from services.http.errors import ApiError, Unavailable, Unprocessable
from services.http.validation import PayloadTooLarge, check_size

MAX_PHOTOS = 6
MAX_TEXT_BYTES = 64 * 1024
MAX_BODY_BYTES = MAX_PHOTOS * MAX_BYTES + MAX_TEXT_BYTES


def photos_from_request(
    fields: tuple[str, ...], *, text_fields: tuple[str, ...]
) -> list[CleanPhoto]:
    """The cleaned photos sent in the file parts named `fields` (empty parts, as a browser
    sends for a file input left empty, are skipped). 413 over the size limits; 422 naming
    the part for an unexpected part, too many photos or a file that is not a photo."""
    check_size(MAX_BODY_BYTES)
    for name in request.form:
        if name not in text_fields:
            raise Unprocessable(f"unexpected part {name!r}", field=name)
    uploads = []
    for name in request.files:
        if name not in fields:
            raise Unprocessable(f"unexpected file part {name!r}", field=name)
        for upload in request.files.getlist(name):
            data = upload.stream.read(MAX_BYTES + 1)
            if data or upload.filename:
                uploads.append((name, data, upload.mimetype))
    if len(uploads) > MAX_PHOTOS:
        raise Unprocessable(f"at most {MAX_PHOTOS} photos", field=fields[0])
    photos = []
    for i, (name, data, mimetype) in enumerate(uploads):
        try:
            photos.append(clean_photo(data, mimetype, f"{name}[{i}]"))
        except PhotoRejected as exc:
            raise photo_error(exc) from exc
    return photos


def photo_error(exc: PhotoRejected) -> ApiError:
    """The API error for a refused photo, naming its part: 413 too large, 503 (retry in a few
    seconds) when this process is decoding all the photos it may, 422 otherwise."""
    if exc.status == 413:
        return PayloadTooLarge(exc.message, field=exc.field)
    if exc.status == 503:
        return Unavailable(exc.message, field=exc.field, headers={"Retry-After": "5"})
    return Unprocessable(exc.message, field=exc.field)
