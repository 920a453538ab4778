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
from services.store import grid_cells

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
        rows = grid_cells.cells_page(conn, **params)
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
    if version is not None and (not version.isdigit() or len(version) > 9):
        raise InvalidInput(f"version must be a version id: {version!r}", field="version")
    with _gf().engine.connect() as conn:
        r = grid_cells.one_cell(conn, code, int(version) if version is not None else None)
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
