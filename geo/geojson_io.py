"""GeoJSON in and out: a FeatureCollection of jurisdictions and cells ⇄ a Grid.

Each feature's properties carry `code`, `name` and `level` (district | street | community |
cell; `grid` is accepted for cell); an optional `parent` must be the code's prefix. Geometries
are Polygon or MultiPolygon in the datum given by `crs` (converted to WGS84 here).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from tqdm import tqdm

from geo import codes, datum
from geo.geometry import to_multipolygon
from geo.grid import Cell, Grid, Jurisdiction
from geo.validate import ERROR, WARNING, Problem, ValidationReport

LEVEL_ALIASES = {"grid": "cell", "cell": "cell", "网格": "cell"}
# More corners than any real cell or jurisdiction boundary needs; a feature past this is
# refused before its coordinates are read (a file built to exhaust memory or time).
MAX_VERTICES = 100_000


class FeatureError(Exception):
    """A feature that cannot be taken in; `kind` is a Problem kind."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def read_text(path: str | Path) -> str:
    """The file's text (gzip-compressed files are recognised by their `.gz` suffix)."""
    path = Path(path)
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return fh.read()
    return path.read_text(encoding="utf-8")


def _check_ring(ring: object, where: str) -> tuple[np.ndarray, bool]:
    """A ring's coordinates as an (n, 2) array and whether it was closed."""
    if not isinstance(ring, list) or not ring:
        raise FeatureError("invalid_geometry", f"{where}: empty ring")
    try:
        coords = np.array([[float(p[0]), float(p[1])] for p in ring], dtype=float)
    except (TypeError, ValueError, IndexError):
        raise FeatureError("malformed", f"{where}: positions must be [lng, lat] numbers") from None
    if not np.all(np.isfinite(coords)):
        raise FeatureError("malformed", f"{where}: a coordinate is not a finite number")
    if np.any(np.abs(coords[:, 0]) > 180) or np.any(np.abs(coords[:, 1]) > 90):
        raise FeatureError("malformed", f"{where}: a coordinate is outside lng ±180 / lat ±90")
    closed = bool(np.array_equal(coords[0], coords[-1]))
    return coords, closed


def _polygons(geometry: object) -> tuple[list[list[np.ndarray]], list[str]]:
    """Rings of each polygon of a GeoJSON geometry, and the defects found (unclosed rings)."""
    if not isinstance(geometry, dict):
        raise FeatureError("malformed", "geometry is missing")
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        polys = [coordinates]
    elif kind == "MultiPolygon":
        polys = coordinates
    else:
        raise FeatureError(
            "malformed", f"geometry type must be Polygon or MultiPolygon, not {kind}"
        )
    if not isinstance(polys, list) or not polys or not all(isinstance(p, list) for p in polys):
        raise FeatureError("invalid_geometry", "empty geometry")
    vertices = sum(len(ring) for rings in polys for ring in rings if isinstance(ring, list))
    if vertices > MAX_VERTICES:
        raise FeatureError(
            "too_large", f"{vertices} vertices: a feature may have at most {MAX_VERTICES}"
        )
    out, defects = [], []
    for i, rings in enumerate(polys):
        if not rings:
            raise FeatureError("invalid_geometry", f"polygon {i} is empty")
        polygon = []
        for j, ring in enumerate(rings):
            coords, closed = _check_ring(ring, f"polygon {i} ring {j}")
            if not closed:
                defects.append(f"polygon {i} ring {j} is not closed")
                coords = np.vstack([coords, coords[:1]])
            if len(coords) < 4:
                raise FeatureError("invalid_geometry", f"polygon {i} ring {j} has < 3 corners")
            polygon.append(coords)
        out.append(polygon)
    return out, defects


def _to_wgs84(polys: list[list[np.ndarray]], crs: str) -> list[list[np.ndarray]]:
    if crs == "wgs84":
        return polys
    converted = []
    for rings in polys:
        new_rings = []
        for c in rings:
            lats, lngs = datum.to_wgs84_arrays(c[:, 1], c[:, 0], crs)
            new_rings.append(np.column_stack((lngs, lats)))
        converted.append(new_rings)
    return converted


def parse_geometry(geometry: object, crs: str, repair: bool) -> tuple[MultiPolygon, str | None]:
    """A GeoJSON geometry as a valid WGS84 MultiPolygon, and what was repaired (if anything).

    Raises FeatureError for what cannot be taken in, including defects when `repair` is off.
    """
    polys, defects = _polygons(geometry)
    polys = _to_wgs84(polys, crs)
    geom = MultiPolygon([Polygon(rings[0], rings[1:]) for rings in polys])
    if not geom.is_valid:
        defects.append(shapely.is_valid_reason(geom))
    if not defects:
        return geom, None
    reason = "; ".join(defects)
    if not repair:
        raise FeatureError("invalid_geometry", f"{reason} (use --repair to fix)")
    fixed = to_multipolygon(shapely.make_valid(geom))
    if fixed.is_empty or not fixed.is_valid:
        raise FeatureError("invalid_geometry", f"{reason}: cannot be repaired")
    return fixed, reason


def _feature_label(feature: dict, index: int) -> str:
    fid = feature.get("id") if isinstance(feature, dict) else None
    return f"features[{index}]" + (f" id={fid}" if fid is not None else "")


def _parse_properties(props: object) -> tuple[str, str, str]:
    if not isinstance(props, dict):
        raise FeatureError("malformed", "properties must be an object with code, name and level")
    code, name, level = props.get("code"), props.get("name"), props.get("level")
    if isinstance(code, int):
        code = str(code)
    if not isinstance(code, str) or not code:
        raise FeatureError("malformed", "properties.code is missing")
    if not isinstance(name, str) or not name.strip():
        raise FeatureError("malformed", "properties.name is missing")
    if level is None:
        level = codes.LEVEL_OF_LENGTH.get(len(code))
    level = LEVEL_ALIASES.get(str(level), str(level))
    if level not in codes.LEVEL_LENGTH:
        raise FeatureError("code_mismatch", f"properties.level {level!r} is not a known level")
    if not codes.is_code(code, level):
        raise FeatureError(
            "code_mismatch", f"a {level} code has {codes.LEVEL_LENGTH[level]} digits: {code!r}"
        )
    parent = props.get("parent")
    if parent is not None and str(parent) != codes.parent_code(code):
        raise FeatureError("code_mismatch", f"code {code} does not belong to its parent {parent}")
    return code, name.strip(), level


def parse_feature_collection(
    text: str, crs: str = "wgs84", repair: bool = False, progress: bool | None = None
) -> tuple[Grid, ValidationReport]:
    """Parses an import file into a Grid, with every problem found listed in the report."""
    crs = datum.normalize_crs(crs)
    report = ValidationReport()
    grid = Grid()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        report.add(
            Problem(
                "malformed", ERROR, f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            )
        )
        return grid, report
    except RecursionError:
        report.add(Problem("malformed", ERROR, "not GeoJSON: arrays nested too deeply"))
        return grid, report
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        report.add(Problem("malformed", ERROR, "the file is not a GeoJSON FeatureCollection"))
        return grid, report
    features = doc.get("features")
    if not isinstance(features, list):
        report.add(Problem("malformed", ERROR, "FeatureCollection.features must be a list"))
        return grid, report
    report.features = len(features)
    seen: dict[str, str] = {}
    cells: list[Cell] = []
    disable = None if progress is None else not progress  # None: only on a terminal
    bar = tqdm(features, desc="reading", unit="feature", disable=disable)
    for index, feature in enumerate(bar):
        label = _feature_label(feature, index)
        code = None
        try:
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                raise FeatureError("malformed", "not a GeoJSON Feature")
            props = feature.get("properties")
            if isinstance(props, dict) and props.get("code") not in (None, ""):
                code = str(props["code"])
            code, name, level = _parse_properties(feature.get("properties"))
            geom, repaired = parse_geometry(feature.get("geometry"), crs, repair)
        except FeatureError as exc:
            report.add(Problem(exc.kind, ERROR, str(exc), feature=label, code=code))
            continue
        if repaired:
            report.add(Problem("repaired", WARNING, repaired, feature=label, code=code))
        if code in seen:
            report.add(
                Problem(
                    "duplicate_code",
                    ERROR,
                    f"code also used by {seen[code]}",
                    feature=label,
                    code=code,
                )
            )
            continue
        seen[code] = label
        if level == "cell":
            cells.append(Cell(code, name, geom))
        else:
            grid.jurisdictions[code] = Jurisdiction(code, level, name, geom)
    grid.cells = sorted(cells, key=lambda c: c.code)
    report.cells, report.jurisdictions = len(grid.cells), len(grid.jurisdictions)
    return grid, report


def feature_collection(
    jurisdictions: Iterable[Jurisdiction], cells: Iterable[Cell], version: int | None = None
) -> dict:
    """A FeatureCollection (import format) of jurisdictions and cells, coordinates in WGS84."""
    features = []
    for jur in sorted(jurisdictions, key=lambda j: j.code):
        props = {"code": jur.code, "name": jur.name, "level": jur.level}
        if jur.parent_code:
            props["parent"] = jur.parent_code
        features.append(_feature(props, jur.geom))
    for cell in cells:
        props = {
            "code": cell.code,
            "name": cell.name,
            "level": "cell",
            "parent": cell.community_code,
        }
        if version is not None:
            props["version"] = version
        features.append(_feature(props, cell.geom))
    return {"type": "FeatureCollection", "features": features}


def _feature(props: dict, geom: MultiPolygon | None) -> dict:
    geometry = None
    if geom is not None:
        geometry = json.loads(shapely.to_geojson(geom))
    return {"type": "Feature", "properties": props, "geometry": geometry}
