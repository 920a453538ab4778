"""Small hand-made grids for the geo tests (WGS84, near Ningbo)."""

from __future__ import annotations

import json

from shapely.geometry import MultiPolygon, Polygon, box

from geo.geometry import M_PER_DEG

LAT0, LNG0 = 29.95, 121.60
STEP = 0.002  # about 220 m of latitude


def square(i: int, j: int, lng0: float = LNG0, lat0: float = LAT0) -> MultiPolygon:
    """The (i, j)-th square of a STEP lattice, as a MultiPolygon."""
    x, y = lng0 + i * STEP, lat0 + j * STEP
    return MultiPolygon([box(x, y, x + STEP, y + STEP)])


def feature(code: str, level: str, geometry, name: str | None = None, **extra) -> dict:
    geom = geometry if isinstance(geometry, dict) else json.loads(geometry_json(geometry))
    props = {"code": code, "name": name or f"{level} {code}", "level": level, **extra}
    return {"type": "Feature", "properties": props, "geometry": geom}


def geometry_json(geom) -> str:
    import shapely

    return shapely.to_geojson(geom)


def collection(*features: dict) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def two_by_two(
    district: str = "990101", shift_m: float = 0.0, origin: tuple[float, float] = (LAT0, LNG0)
) -> str:
    """A district with one street, one community and four square cells (2 × 2) whose
    south-west corner is `origin` (lat, lng).

    `shift_m` moves the east edge of the first cell, making it overlap its neighbour.
    """
    lat0, lng0 = origin
    street, community = district + "001", district + "001001"
    whole = MultiPolygon([box(lng0, lat0, lng0 + 2 * STEP, lat0 + 2 * STEP)])
    cells = [square(i, j, lng0, lat0) for i, j in ((0, 0), (1, 0), (0, 1), (1, 1))]
    if shift_m:
        d = shift_m / (M_PER_DEG * 0.866)
        cells[0] = MultiPolygon([box(lng0, lat0, lng0 + STEP + d, lat0 + STEP)])
    return collection(
        feature(district, "district", whole),
        feature(street, "street", whole, parent=district),
        feature(community, "community", whole, parent=street),
        *[feature(f"{community}{n:03d}", "cell", g) for n, g in enumerate(cells, start=1)],
    )


def polygon_with_hole() -> Polygon:
    outer = [(LNG0, LAT0), (LNG0 + STEP, LAT0), (LNG0 + STEP, LAT0 + STEP), (LNG0, LAT0 + STEP)]
    h = STEP / 4
    hole = [(LNG0 + h, LAT0 + h), (LNG0 + 3 * h, LAT0 + h), (LNG0 + 3 * h, LAT0 + 3 * h),
            (LNG0 + h, LAT0 + 3 * h)]  # fmt: skip
    return Polygon(outer, [hole])
