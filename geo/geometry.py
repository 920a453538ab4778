"""Small geometry helpers: MultiPolygon coercion, metric areas and local metric projections.

Distances and areas use a local equirectangular projection around a reference latitude:
x = lng·cos(lat₀)·M, y = lat·M with M metres per degree on the mean Earth sphere. Over a cell,
a community or a 30 m snap radius its error is far below a millimetre per metre.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

EARTH_RADIUS_M = 6371008.8
M_PER_DEG = EARTH_RADIUS_M * math.pi / 180.0


def polygonal_parts(geom: BaseGeometry) -> list[Polygon]:
    """The non-empty polygons inside any geometry (lines and points of a collection dropped)."""
    parts = shapely.get_parts(geom)
    out: list[Polygon] = []
    for part in parts:
        if isinstance(part, Polygon):
            if not part.is_empty:
                out.append(part)
        elif isinstance(part, MultiPolygon) or part.geom_type == "GeometryCollection":
            out.extend(polygonal_parts(part))
    return out


def to_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    """The polygonal content of `geom` as one MultiPolygon (possibly empty)."""
    if isinstance(geom, MultiPolygon):
        return geom
    return MultiPolygon(polygonal_parts(geom))


def area_m2(geom: BaseGeometry) -> float:
    """Area in square metres of a small (city-sized) geometry given in degrees."""
    if geom.is_empty:
        return 0.0
    lat = geom.centroid.y
    return float(geom.area) * M_PER_DEG * M_PER_DEG * math.cos(math.radians(lat))


def areas_m2(geoms: np.ndarray) -> np.ndarray:
    """Vectorised `area_m2` over an array of geometries."""
    geoms = np.asarray(geoms, dtype=object)
    if geoms.size == 0:
        return np.zeros(0)
    lats = shapely.get_y(shapely.centroid(geoms))
    lats = np.nan_to_num(lats)
    return shapely.area(geoms) * M_PER_DEG * M_PER_DEG * np.cos(np.radians(lats))


class LocalProjection:
    """Degrees ⇄ metres around (lat0, lng0): the frame `generate` cuts cells in."""

    def __init__(self, lat0: float, lng0: float):
        self.lat0 = lat0
        self.lng0 = lng0
        self.kx = math.cos(math.radians(lat0)) * M_PER_DEG

    def to_metres(self, geom):
        """Geometry (or array of them) in degrees → metres."""
        return shapely.transform(
            geom,
            lambda c: np.column_stack(
                ((c[:, 0] - self.lng0) * self.kx, (c[:, 1] - self.lat0) * M_PER_DEG)
            ),
        )

    def to_degrees(self, geom):
        """Geometry (or array of them) in metres → degrees."""
        return shapely.transform(
            geom,
            lambda c: np.column_stack(
                (c[:, 0] / self.kx + self.lng0, c[:, 1] / M_PER_DEG + self.lat0)
            ),
        )
