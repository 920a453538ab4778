"""The grid's cells as the API serves them: a page of current cells in a bounding box as
GeoJSON text written by PostgreSQL, and one cell (current or of a past version) with its
jurisdictions. Plain functions over a Connection; they commit nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, text

# A ring of four corners (5 points) has nothing to simplify: the GEOS call cost more than the
# rest of the query for a page of 2,000 square cells, and saved a vertex on a few clipped ones.
# Each Feature is written by PostgreSQL as JSON text and passed on as it is (building 2,000
# feature dicts in Python was most of the endpoint's CPU): its properties as a row, which
# `row_to_json` encodes with the same keys, in the same order, as a dict would be.
_CELLS_SQL = text(
    """
    SELECT rtrim(c.code),
           '{"type":"Feature","id":' || to_json(rtrim(c.code))::text || ',"geometry":'
           || ST_AsGeoJSON(
                  ST_Multi(CASE WHEN :tol > 0 AND ST_NPoints(c.geom) > 5
                                THEN ST_SimplifyPreserveTopology(c.geom, :tol)
                           ELSE c.geom END),
                  :digits
              )
           || ',"properties":' || (
              SELECT row_to_json(p) FROM (
                  SELECT rtrim(c.code) AS code, c.name, c.id AS cell_id, c.version_id AS version,
                         c.community_code, c.street_code, c.district_code
              ) p
           )::text || '}'
    FROM grid_cell c JOIN grid_version v ON v.id = c.version_id AND v.valid_to IS NULL
    WHERE c.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)
      AND ST_Intersects(c.geom, ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326))
      AND c.code > :after
    ORDER BY c.code
    LIMIT :limit
    """
)

_CELL_SQL = """
    SELECT c.id, c.code, c.name, c.version_id, v.valid_from, v.valid_to,
           c.community_code, cj.name AS community_name,
           c.street_code, sj.name AS street_name,
           c.district_code, dj.name AS district_name,
           ST_AsGeoJSON(c.geom) AS geometry,
           ST_Area(c.geom::geography) AS area_m2
    FROM grid_cell c
    JOIN grid_version v ON v.id = c.version_id
    JOIN jurisdiction cj ON cj.code = c.community_code
    JOIN jurisdiction sj ON sj.code = c.street_code
    JOIN jurisdiction dj ON dj.code = c.district_code
    WHERE c.code = :code AND {version}
"""


def cells_page(conn: Connection, **params: Any) -> list[Row]:
    """(code, Feature JSON text) of the current cells intersecting the box x0, y0, x1, y1,
    after cell code `after`, at most `limit`, simplified by `tol` degrees, coordinates with
    `digits` decimals; in code order."""
    # One page walks the code index and stops at `limit`: parallel workers only cost their
    # start-up (~100 ms on a busy machine) before the first row.
    conn.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    return conn.execute(_CELLS_SQL, params).all()


def one_cell(conn: Connection, code: str, version: int | None = None) -> Row | None:
    """The cell `code` of the current grid version (or of `version`), with its community,
    street and district names, GeoJSON geometry and area; None if there is none."""
    where, params = "v.valid_to IS NULL", {"code": code}
    if version is not None:
        where, params["version"] = "c.version_id = :version", version
    return conn.execute(text(_CELL_SQL.format(version=where)), params).first()


def jurisdiction_exists(conn: Connection, code: str) -> bool:
    """Whether a district, street or community of this code is known."""
    return bool(
        conn.execute(text("SELECT 1 FROM jurisdiction WHERE code = :c"), {"c": code}).scalar()
    )


def first_current_cells(conn: Connection, count: int) -> list[Row]:
    """(code, district_code) of the first `count` cells of the current grid, by code."""
    return conn.execute(
        text(
            "SELECT c.code, c.district_code FROM grid_cell c JOIN grid_version v "
            "ON v.id = c.version_id WHERE v.valid_to IS NULL ORDER BY c.code LIMIT :n"
        ),
        {"n": count},
    ).all()


def current_cell_points(conn: Connection) -> list[Row]:
    """(code, lat, lng) of a point inside each cell of the current grid, by code."""
    return conn.execute(
        text(
            "SELECT c.code, ST_Y(ST_PointOnSurface(c.geom)) AS lat, "
            "ST_X(ST_PointOnSurface(c.geom)) AS lng FROM grid_cell c JOIN grid_version v "
            "ON v.id = c.version_id AND v.valid_to IS NULL ORDER BY c.code"
        )
    ).all()
