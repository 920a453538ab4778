"""The gazetteer's SQL (services.places): replacing one source's places, the grid's named
places, the search by pinyin initials, spelling or name, and the exact-name lookup."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from services.store.jsonrows import json_rows


def replace_source(conn: Connection, source: str, rows: list[dict[str, Any]]) -> int:
    """Deletes the places of `source` and writes `rows` (kind, name, code, initials, spelled,
    and lat/lng or a GeoJSON `geometry`, placed at a point on its surface); returns how many."""
    conn.execute(text("DELETE FROM place WHERE source = :s"), {"s": source})
    if not rows:
        return 0
    return conn.execute(
        text(
            "INSERT INTO place (kind, name, code, initials, spelled, lat, lng, source) "
            "SELECT u.kind, u.name, u.code, u.initials, u.spelled, "
            "coalesce(u.lat, ST_Y(ST_PointOnSurface(ST_GeomFromGeoJSON(u.geometry)))), "
            "coalesce(u.lng, ST_X(ST_PointOnSurface(ST_GeomFromGeoJSON(u.geometry)))), :s "
            "FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS u(kind text, name text, "
            "code text, initials text, spelled text, lat float8, lng float8, geometry text)"
        ),
        {"s": source, "rows": json_rows(rows)},
    ).rowcount


def grid_places(conn: Connection) -> list[dict[str, Any]]:
    """Every jurisdiction and every current grid cell: kind, name, code, a point inside."""
    rows = conn.execute(
        text(
            "SELECT level AS kind, name, code, ST_Y(ST_PointOnSurface(geom)) AS lat, "
            "ST_X(ST_PointOnSurface(geom)) AS lng, NULL AS geometry FROM jurisdiction "
            "WHERE geom IS NOT NULL UNION ALL "
            "SELECT 'cell', c.name, c.code, ST_Y(ST_PointOnSurface(c.geom)), "
            "ST_X(ST_PointOnSurface(c.geom)), NULL FROM grid_cell c "
            "JOIN grid_version v ON v.id = c.version_id AND v.valid_to IS NULL"
        )
    ).mappings()
    return [dict(r) for r in rows]


def search_places(conn: Connection, query: str, limit: int = 10) -> list[dict[str, Any]]:
    """Places whose pinyin initials or spelling start with `query` (ASCII letters), or whose
    name or code holds it; places before cells, shorter names first."""
    q = query.strip().lower()
    rows = conn.execute(
        text(
            "SELECT kind, name, code, lat, lng FROM place WHERE "
            "initials LIKE :prefix OR spelled LIKE :prefix OR name ILIKE :inside "
            "OR code LIKE :code ORDER BY kind = 'cell', length(name), name LIMIT :limit"
        ),
        {
            "prefix": f"{_escaped(q)}%",
            "inside": f"%{_escaped(q)}%",
            "code": f"{_escaped(q)}%",
            "limit": limit,
        },  # fmt: skip
    ).mappings()
    return [dict(r) for r in rows]


def named_points(conn: Connection, name: str, kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    """The distinct points (lat, lng) of the places of these kinds named exactly `name`."""
    rows = conn.execute(
        text(
            "SELECT DISTINCT lat, lng FROM place WHERE name = :name "
            "AND kind = ANY(:kinds) ORDER BY lat, lng"
        ),
        {"name": name, "kinds": list(kinds)},
    ).mappings()
    return [dict(r) for r in rows]


def _escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
