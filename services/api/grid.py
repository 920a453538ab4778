"""The grid API: locate a point, list cells in a bounding box, fetch one cell.

GET /api/v1/grid/locate?lat=&lng=&crs=&accuracy=   placement of a point (in-process index)
GET /api/v1/grid/cells?bbox=&zoom=&limit=&after=   current cells as GeoJSON, paged by code
GET /api/v1/grid/cells/{code}?version=             one cell as a GeoJSON Feature
"""

from __future__ import annotations

import json
import math

import orjson
from flask import Blueprint, Response, current_app, jsonify, request, url_for
from sqlalchemy import text

from geo import codes, datum
from services.api.grid_schemas import (
    CellQuery,
    CellsQuery,
    FeatureCollectionOut,
    FeatureOut,
    LocateOut,
    LocateQuery,
)
from services.api.openapi import operation
from services.http.errors import InvalidInput, NotFound, Unavailable
from services.locator import GridUnavailable, InvalidAccuracy

bp = Blueprint("grid", __name__, url_prefix="/api/v1/grid")
TAGS = ["grid"]

MAX_BBOX_DEG = 0.5  # each side; a district fits, a whole city does not
DEFAULT_LIMIT, MAX_LIMIT = 500, 2000
DEFAULT_ZOOM, FULL_DETAIL_ZOOM = 16, 16


def _gf():
    return current_app.extensions["gridflow"]


def _number(name: str, *, required: bool = True) -> float | None:
    raw = request.args.get(name)
    if raw is None:
        if required:
            raise InvalidInput(f"{name} is required", field=name)
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a number: {raw!r}", field=name) from None
    if not math.isfinite(value):
        raise InvalidInput(f"{name} must be a finite number: {raw!r}", field=name)
    return value


def _int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be an integer: {raw!r}", field=name) from None
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}: {value}", field=name)
    return value


@bp.get("/locate")
@operation(
    "Place a point on the grid (inside a cell, snapped to the nearest, or outside)",
    tags=TAGS,
    query=LocateQuery,
    responses={200: LocateOut},
    errors=(400, 503),
    public=True,
)
def locate():
    """Places a point on the grid: inside a cell, snapped to the nearest, or outside."""
    lat, lng = _number("lat"), _number("lng")
    accuracy = _number("accuracy", required=False)
    crs = request.args.get("crs", datum.DEFAULT_CRS)
    locator = _gf().locator
    try:
        placement = locator.locate(lat, lng, crs=crs, accuracy_m=accuracy)
    except datum.UnknownDatum as exc:
        raise InvalidInput(
            str(exc), field="crs", details={"supported": list(datum.SUPPORTED_CRS)}
        ) from None
    except datum.InvalidCoordinate as exc:
        raise InvalidInput(str(exc), field=exc.field) from None
    except InvalidAccuracy as exc:
        raise InvalidInput(str(exc), field="accuracy") from None
    except GridUnavailable as exc:
        raise Unavailable(str(exc)) from None
    names = locator.names(placement)

    def level(code, key):
        return None if code is None else {"code": code, "name": names[key]}

    cell = None
    if placement.cell_code is not None:
        cell = {
            "id": placement.cell_id,
            "code": placement.cell_code,
            "name": names["cell"],
            "version": placement.grid_version,
        }
    return jsonify(
        {
            "status": placement.status,
            "distance_m": placement.distance_m,
            "lat": placement.lat,
            "lng": placement.lng,
            "input": {"lat": lat, "lng": lng, "crs": datum.normalize_crs(crs)},
            "cell": cell,
            "community": level(placement.community_code, "community"),
            "street": level(placement.street_code, "street"),
            "district": level(placement.district_code, "district"),
        }
    )


def _bbox() -> tuple[float, float, float, float]:
    raw = request.args.get("bbox")
    if not raw:
        raise InvalidInput("bbox=minLng,minLat,maxLng,maxLat is required", field="bbox")
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError:
        raise InvalidInput(f"bbox must be four numbers: {raw!r}", field="bbox") from None
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InvalidInput(
            "bbox must be four finite numbers: minLng,minLat,maxLng,maxLat", field="bbox"
        )
    min_lng, min_lat, max_lng, max_lat = values
    if not (-180 <= min_lng <= 180 and -180 <= max_lng <= 180):
        raise InvalidInput("bbox longitudes must be within ±180", field="bbox")
    if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise InvalidInput("bbox latitudes must be within ±90", field="bbox")
    if min_lng > max_lng or min_lat > max_lat:
        raise InvalidInput("bbox minimum is greater than its maximum", field="bbox")
    if max_lng - min_lng > MAX_BBOX_DEG or max_lat - min_lat > MAX_BBOX_DEG:
        raise InvalidInput(
            f"bbox sides must be at most {MAX_BBOX_DEG}°; zoom in",
            field="bbox",
            details={"max_side_deg": MAX_BBOX_DEG},
        )
    return min_lng, min_lat, max_lng, max_lat


def simplify_tolerance_deg(zoom: int) -> float:
    """Half a 256-px tile pixel at `zoom`, in degrees (0 at full-detail zooms)."""
    if zoom >= FULL_DETAIL_ZOOM:
        return 0.0
    return 360.0 / (256 * 2**zoom) / 2


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


@bp.get("/cells")
@operation(
    "Current grid cells in a bounding box, as GeoJSON (paged by cell code)",
    tags=TAGS,
    query=CellsQuery,
    responses={200: FeatureCollectionOut},
    errors=(400,),
    public=True,
)
def cells():
    """Current cells intersecting a bbox, as a GeoJSON FeatureCollection, at most `limit`
    per page; `next` is the URL of the following page (null on the last)."""
    x0, y0, x1, y1 = _bbox()
    zoom = _int("zoom", DEFAULT_ZOOM, 0, 22)
    limit = _int("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    after = request.args.get("after", "")
    if after and not codes.is_code(after, "cell"):
        raise InvalidInput("after must be a 15-digit cell code", field="after")
    tol = simplify_tolerance_deg(zoom)
    params = {
        "x0": x0,
        "y0": y0,
        "x1": x1,
        "y1": y1,
        "tol": tol,
        "after": after,
        "limit": limit + 1,
        "digits": 7 if zoom >= 15 else 6,
    }
    with _gf().engine.connect() as conn:
        # One page walks the code index and stops at `limit`: parallel workers only cost their
        # start-up (~100 ms on a busy machine) before the first row.
        conn.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        rows = conn.execute(_CELLS_SQL, params).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_url = None
    if more:
        args = {**request.args.to_dict(), "after": rows[-1][0]}
        next_url = url_for("grid.cells", _external=False, **args)
    body = {
        "type": "FeatureCollection",
        "features": orjson.Fragment("[" + ",".join(r[1] for r in rows) + "]"),
        "count": len(rows),
        "limit": limit,
        "zoom": zoom,
        "simplified": tol > 0,
        "next": next_url,
    }
    return Response(orjson.dumps(body), mimetype="application/json")


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


@bp.get("/cells/<code>")
@operation(
    "One grid cell (current version, or a past one) as a GeoJSON Feature",
    tags=TAGS,
    query=CellQuery,
    responses={200: FeatureOut},
    errors=(400, 404),
    public=True,
)
def cell(code: str):
    """One cell (current version, or `?version=` for a past one) as a GeoJSON Feature."""
    if not codes.is_code(code, "cell"):
        raise InvalidInput(f"a cell code has 15 digits: {code!r}", field="code")
    version = request.args.get("version")
    params: dict = {"code": code}
    where = "v.valid_to IS NULL"
    if version is not None:
        if not version.isdigit() or len(version) > 9:
            raise InvalidInput(f"version must be a version id: {version!r}", field="version")
        where, params["version"] = "c.version_id = :version", int(version)
    with _gf().engine.connect() as conn:
        r = conn.execute(text(_CELL_SQL.format(version=where)), params).first()
    if r is None:
        raise NotFound(
            f"no cell {code}" + (f" in version {version}" if version else ""), field="code"
        )
    return jsonify(
        {
            "type": "Feature",
            "id": r.code.strip(),
            "geometry": json.loads(r.geometry),
            "properties": {
                "code": r.code.strip(),
                "name": r.name,
                "cell_id": r.id,
                "version": r.version_id,
                "valid_from": r.valid_from.isoformat(),
                "valid_to": r.valid_to.isoformat() if r.valid_to else None,
                "current": r.valid_to is None,
                "area_m2": round(r.area_m2, 1),
                "community": {"code": r.community_code, "name": r.community_name},
                "street": {"code": r.street_code, "name": r.street_name},
                "district": {"code": r.district_code, "name": r.district_name},
            },
        }
    )
