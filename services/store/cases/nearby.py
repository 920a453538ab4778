"""Open cases near a point: what the hotline form suggests before an operator saves a call
(same category, within the category's duplicate radius, open, in the operator's place),
nearest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from services.store.cases.groups import open_sql
from services.store.moderation import TEXT_WITHHELD_SQL
from services.store.scopes import Scope, scope_sql


def open_cases_near(
    conn: Connection, scope: Scope, category_code: str, lat: float, lng: float, limit: int = 5
) -> list[dict[str, Any]]:
    """Up to `limit` open cases of `category_code` in `scope` within the category's duplicate
    radius of the WGS84 point (lat, lng), nearest first, with their distance in metres and
    how many reports were merged into them so far; none when the category has no radius."""
    where, params = scope_sql(scope)
    rows = conn.execute(
        text(
            "WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lng, :lat), 4326)::geography AS pt, "
            "k.duplicate_radius_m AS radius FROM category k WHERE k.code = :category) "
            "SELECT c.id, c.case_no, c.state, c.created_at, c.duplicate_count, "
            "c.geom::geography <-> p.pt AS distance_m, ST_Y(c.geom) AS lat, ST_X(c.geom) AS lng, "
            f"CASE WHEN {TEXT_WITHHELD_SQL} THEN NULL ELSE left(r.description, 200) END "
            "AS summary, r.address FROM p JOIN case_file c ON c.category_code = :category "
            f"AND {open_sql('c')} AND ST_DWithin(c.geom::geography, p.pt, p.radius) "
            f"JOIN report r ON r.id = c.report_id WHERE p.radius > 0 AND {where} "
            "ORDER BY c.geom::geography <-> p.pt, c.created_at LIMIT :limit"
        ),
        {**params, "lat": lat, "lng": lng, "category": category_code, "limit": limit},
    ).mappings()
    return [dict(r) for r in rows]
