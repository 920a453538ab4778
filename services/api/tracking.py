"""The reporter's side of the loop (快速反馈), without an account: the after-photo of a
resolved request, for Open311 `media_url` and the tracking page.

Only what the public may see is served here: resolution photos of reports that came by a
public channel (config `open311_public_channels`) and whose photos moderation does not
withhold; anything else answers as a missing photo.
"""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, current_app, send_file

from services.capture import media, queries
from services.http.errors import NotFound

bp = Blueprint("tracking", __name__, url_prefix="/t")


def _gf():
    return current_app.extensions["gridflow"]


def public_channels() -> list[str]:
    """The channels whose reports the public may follow."""
    return [c.strip() for c in _gf().config.open311_public_channels.split(",") if c.strip()]


@bp.get("/photos/<uuid:photo_id>")
def photo(photo_id: UUID):
    with _gf().engine.connect() as conn:
        row = queries.public_after_photo(conn, photo_id, public_channels())
    if row is None:
        raise NotFound(f"no photo {photo_id}", field="photo_id")
    path = media.resolve(_gf().config.media_dir, row["path"])
    if not path.is_file():
        raise NotFound("the photo file is missing", field="photo_id")
    response = send_file(path, mimetype=row["media_type"], conditional=True)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
