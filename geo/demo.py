"""The demo grid: Zhenhai District (330211) cut into 250 m squares (see geo/data/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

from shapely.geometry import shape
from sqlalchemy import Engine

from geo.generate import generate_grid
from geo.geojson_io import read_text
from geo.grid import Grid
from geo.importer import lock_grids, write_validated
from geo.store import WriteResult, current_versions

DEMO_BOUNDARY = Path(__file__).parent / "data" / "330211-zhenhai.geojson.gz"
DEMO_SHAPE = "square"
DEMO_SIZE_M = 250.0


def read_boundary(path: str | Path = DEMO_BOUNDARY) -> tuple[str, str, object]:
    """(code, name, geometry) of the first feature of a boundary file."""
    doc = json.loads(read_text(path))
    feature = doc["features"][0] if doc.get("type") == "FeatureCollection" else doc
    props = feature.get("properties") or {}
    return str(props.get("code", "")), str(props.get("name", "")), shape(feature["geometry"])


def demo_grid() -> Grid:
    """The demo district's generated grid (the same every time)."""
    code, name, boundary = read_boundary()
    return generate_grid(boundary, code, name, shape=DEMO_SHAPE, size_m=DEMO_SIZE_M)


DEMO_DISTRICT = "330211"


def load_demo(engine: Engine) -> WriteResult | None:
    """Loads the demo grid unless the demo district already has one (then returns None).

    Other districts' grids do not stop it, so test suites sharing a database can all rely on
    the demo grid being there after calling this.
    """
    with engine.begin() as conn:
        lock_grids(conn)
        if DEMO_DISTRICT in current_versions(conn):
            return None
        return write_validated(conn, demo_grid(), source=f"demo:{DEMO_BOUNDARY.name}", note=None)
