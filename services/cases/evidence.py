"""Evidence photos of the handling: a department's resolution, a worker's verification.

The files are written under the media directory beside the report's own photos (see
`services.capture.media`) before the rows are inserted in the caller's transaction; when
anything fails before the commit, `discard` removes them again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Connection

from services.capture import media
from services.capture.photos import CleanPhoto
from services.store.case_photos import insert_case_photo


def photo_ids(photos: Sequence[CleanPhoto]) -> tuple[str, ...]:
    """Fresh ids for the photos of one action (they go into the event's payload)."""
    return tuple(str(uuid.uuid4()) for _ in photos)


def store_evidence(
    conn: Connection,
    media_dir: str,
    *,
    case_id: uuid.UUID,
    report_id: uuid.UUID,
    event_id: str | uuid.UUID,
    kind: str,
    photos: Sequence[CleanPhoto],
    ids: Sequence[str],
    uploaded_by: str,
) -> list[str]:
    """Writes the photos' files and rows (attached to the case event `event_id`); returns the
    relative paths written. On failure removes what it wrote and re-raises."""
    written: list[str] = []
    try:
        for position, (photo_id, photo) in enumerate(zip(ids, photos, strict=True)):
            path, thumb = media.store_photo(media_dir, report_id, uuid.UUID(photo_id), photo)
            written += [path, thumb]
            insert_case_photo(
                conn, id=photo_id, case_id=case_id, event_id=event_id, kind=kind,
                position=position, media_type=photo.media_type, path=path, thumb_path=thumb,
                width=photo.width, height=photo.height, bytes=len(photo.data),
                sha256=photo.sha256, uploaded_by=uploaded_by,
            )  # fmt: skip
    except BaseException:
        discard(media_dir, written)
        raise
    return written


def discard(media_dir: str, paths: Sequence[str]) -> None:
    """Removes evidence files whose rows were never committed."""
    media.remove_files(media_dir, list(paths))
