"""The photos of a case: its report's photos (before/after, migration 0004) and the evidence
of its handling (resolution/verification, `case_photo`, migration 0006). Files live under the
media directory (see `services.cases.evidence`); the rows hold their relative paths."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, text

from services.store.moderation import PHOTOS_WITHHELD_SQL

_PHOTOS = """
SELECT p.id, p.kind, p.media_type, p.width, p.height, p.path, p.thumb_path, p.created_at,
       NULL::uuid AS event_id, {withheld} AS hidden, p.position, 0 AS source
FROM report_photo p JOIN case_file c ON c.report_id = p.report_id
JOIN report r ON r.id = p.report_id WHERE c.id = :case_id {photo}
UNION ALL
SELECT p.id, p.kind, p.media_type, p.width, p.height, p.path, p.thumb_path, p.created_at,
       p.event_id, false AS hidden, p.position, 1 AS source
FROM case_photo p WHERE p.case_id = :case_id {photo}
""".replace("{withheld}", PHOTOS_WITHHELD_SQL)


def insert_case_photo(conn: Connection, **values: Any) -> None:
    """Stores one evidence photo row (id, case_id, event_id, kind, position, media_type, path,
    thumb_path, width, height, bytes, sha256, uploaded_by)."""
    conn.execute(
        text(
            "INSERT INTO case_photo (id, case_id, event_id, kind, position, media_type, path, "
            "thumb_path, width, height, bytes, sha256, uploaded_by) VALUES (:id, :case_id, "
            ":event_id, :kind, :position, :media_type, :path, :thumb_path, :width, :height, "
            ":bytes, :sha256, :uploaded_by)"
        ),
        values,
    )


def photos_of_case(conn: Connection, case_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every photo of the case, report photos first, then evidence in upload order."""
    rows = conn.execute(
        text(_PHOTOS.format(photo="") + " ORDER BY source, created_at, kind DESC, position, id"),
        {"case_id": case_id},
    ).mappings()
    return [dict(r) for r in rows]


def photo_of_case(
    conn: Connection, case_id: uuid.UUID, photo_id: uuid.UUID
) -> dict[str, Any] | None:
    """One photo of the case (a report photo or evidence), or None."""
    row = conn.execute(
        text(_PHOTOS.format(photo="AND p.id = :photo_id")),
        {"case_id": case_id, "photo_id": photo_id},
    ).mappings().first()  # fmt: skip
    return dict(row) if row else None
