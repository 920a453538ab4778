"""The grid's version history as the admin sees it (each district's versions, newest first)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text


def version_rows(conn: Connection, limit: int = 100) -> list[dict[str, Any]]:
    """(id, district_code, valid_from, valid_to, source, note, cell_count, current) of the
    newest versions."""
    rows = conn.execute(
        text(
            "SELECT v.id, v.district_code, v.valid_from, v.valid_to, v.source, v.note, "
            "v.cell_count, v.valid_to IS NULL AS current FROM grid_version v "
            "ORDER BY v.id DESC LIMIT :n"
        ),
        {"n": limit},
    ).mappings()
    return [dict(r) for r in rows]
