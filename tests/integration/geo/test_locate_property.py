"""The in-process index and the PostGIS query give the same placement for every point.

Random points over two generated districts (hexagons with a courtyard hole, squares), biased to
where the rule is hard: cell vertices, points on edges, the hole, and just outside the grid.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon

from geo.generate import generate_grid
from geo.geometry import M_PER_DEG
from geo.importer import lock_grids, write_validated
from geo.locate import CellIndex, locate_in_db
from geo.store import load_current_cells
from tests.integration.geo.conftest import new_district

LAT0, LNG0 = 31.20, 121.40
HOLE = [(LNG0 + 0.004, LAT0 + 0.004), (LNG0 + 0.009, LAT0 + 0.004), (LNG0 + 0.009, LAT0 + 0.008),
        (LNG0 + 0.004, LAT0 + 0.008)]  # fmt: skip
HEX_DISTRICT = Polygon(
    [(LNG0, LAT0), (LNG0 + 0.02, LAT0), (LNG0 + 0.021, LAT0 + 0.015), (LNG0, LAT0 + 0.013)], [HOLE]
)
SQUARE_DISTRICT = shapely.affinity.translate(
    Polygon([(0, 0), (0.012, 0), (0.012, 0.01), (0, 0.01)]), LNG0 + 0.0215, LAT0
)


@pytest.fixture(scope="module")
def grids(engine):
    """Loads both districts; yields (index, boundary vertices, cell rings)."""
    with engine.begin() as conn:
        lock_grids(conn)
        for boundary, shape in ((HEX_DISTRICT, "hex"), (SQUARE_DISTRICT, "square")):
            grid = generate_grid(boundary, new_district(), "性质测试区", shape=shape, size_m=180)
            write_validated(conn, grid, source="property-test", note=None)
    with engine.connect() as conn:
        index = CellIndex.from_rows(load_current_cells(conn))
    rings = [
        np.asarray(ring.coords)
        for geom in index.geoms
        for poly in geom.geoms
        for ring in (poly.exterior, *poly.interiors)
    ]
    outline = np.vstack([np.asarray(HEX_DISTRICT.exterior.coords), np.asarray(HOLE),
                         np.asarray(SQUARE_DISTRICT.exterior.coords)])  # fmt: skip
    return index, rings, outline


def points(rings, outline):
    """A strategy of (lat, lng) points of five kinds."""
    ring_at = st.integers(0, len(rings) - 1).map(lambda i: rings[i])

    def vertex(ring, k):
        x, y = ring[k % (len(ring) - 1)]
        return y, x

    def on_edge(ring, k, t):
        a, b = ring[k % (len(ring) - 1)], ring[k % (len(ring) - 1) + 1]
        return a[1] + t * (b[1] - a[1]), a[0] + t * (b[0] - a[0])

    def near(base, angle, metres):
        lng, lat = base
        k = M_PER_DEG * math.cos(math.radians(lat))
        return lat + metres * math.sin(angle) / M_PER_DEG, lng + metres * math.cos(angle) / k

    unit = st.floats(0, 1, allow_nan=False)
    index_ = st.integers(0, 10_000)
    return st.one_of(
        st.builds(vertex, ring_at, index_),
        st.builds(on_edge, ring_at, index_, unit),
        st.builds(
            near,
            st.sampled_from([tuple(p) for p in outline]),
            st.floats(0, 2 * math.pi),
            st.floats(0, 60),
        ),
        st.builds(  # inside the courtyard hole
            lambda u, v: (LAT0 + 0.004 + 0.004 * u, LNG0 + 0.004 + 0.005 * v), unit, unit
        ),
        st.builds(  # anywhere around both districts
            lambda u, v: (LAT0 - 0.001 + 0.018 * u, LNG0 - 0.001 + 0.036 * v), unit, unit
        ),
    )


def test_index_and_postgis_agree_everywhere(grids, engine):
    index, rings, outline = grids
    seen: set[str] = set()

    @settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck),
              derandomize=False)  # fmt: skip
    @given(point=points(rings, outline), snap=st.sampled_from([30.0, 5.0, 80.0]))
    def check(point, snap):
        lat, lng = point
        fast = index.locate(lat, lng, snap)
        with engine.connect() as conn:
            slow = locate_in_db(conn, lat, lng, snap)
        assert (fast.status, fast.cell_code, fast.cell_id, fast.grid_version) == (
            slow.status, slow.cell_code, slow.cell_id, slow.grid_version,
        ), (lat, lng, snap)  # fmt: skip
        if fast.distance_m is None:
            assert slow.distance_m is None
        else:
            assert fast.distance_m == pytest.approx(slow.distance_m, abs=1e-6)
        batch = index.locate_many([lat], [lng], snap)
        assert batch.cell[0] == (-1 if fast.cell_code is None else index.positions[fast.cell_code])
        seen.add(fast.status)

    check()
    assert seen == {"inside", "snapped", "outside"}
