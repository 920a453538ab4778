"""The in-process index: inside, shared edges and vertices, holes, snapping, outside."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import MultiPolygon

from geo.geometry import M_PER_DEG
from geo.locate import STATUSES, CellIndex, Placement
from tests.unit.geo.grids import LAT0, LNG0, STEP, polygon_with_hole, square


def index(snap=30.0) -> CellIndex:
    """Four squares 2 × 2 (codes …001 SW, …002 SE, …003 NW, …004 NE) with ids 11–14."""
    geoms = [square(0, 0), square(1, 0), square(0, 1), square(1, 1)]
    codes = [f"990101001001{n:03d}" for n in (1, 2, 3, 4)]
    order = [3, 1, 0, 2]  # given out of order: the index sorts by code itself
    return CellIndex(
        [11 + i for i in order],
        [codes[i] for i in order],
        [7] * 4,
        [geoms[i] for i in order],
        snap_distance_m=snap,
    )


def test_a_point_inside_one_cell_gets_that_cell():
    p = index().locate(LAT0 + STEP * 0.5, LNG0 + STEP * 1.5)
    assert p == Placement("inside", 12, "990101001001002", 7, "990101001001", "990101001",
                          "990101", 0.0, LAT0 + STEP * 0.5, LNG0 + STEP * 1.5)  # fmt: skip


def test_a_shared_edge_goes_to_the_smallest_code():
    assert index().locate(LAT0 + STEP * 0.5, LNG0 + STEP).cell_code == "990101001001001"
    assert index().locate(LAT0 + STEP, LNG0 + STEP * 1.5).cell_code == "990101001001002"


def test_the_shared_vertex_of_four_cells_goes_to_the_smallest_code():
    assert index().locate(LAT0 + STEP, LNG0 + STEP).cell_code == "990101001001001"


def test_a_point_just_outside_is_snapped_with_its_distance():
    lat = LAT0 + STEP * 1.5
    lng = LNG0 + 2 * STEP + 10 / (M_PER_DEG * np.cos(np.radians(lat)))  # 10 m east of the edge
    p = index().locate(lat, lng)
    assert p.status == "snapped" and p.cell_code == "990101001001004"
    assert p.distance_m == pytest.approx(10.0, abs=1e-6)


def test_snapping_to_a_corner_shared_by_two_cells_picks_the_smallest_code():
    lat = LAT0 - 5 / M_PER_DEG  # 5 m south of the vertex between …001 and …002
    p = index().locate(lat, LNG0 + STEP)
    assert (p.status, p.cell_code) == ("snapped", "990101001001001")
    assert p.distance_m == pytest.approx(5.0, abs=1e-6)


def test_beyond_the_snap_distance_is_outside():
    lat = LAT0 - 31 / M_PER_DEG
    assert index().locate(lat, LNG0 + STEP).status == "outside"
    assert index(snap=40).locate(lat, LNG0 + STEP).status == "snapped"
    assert index().locate(lat, LNG0 + STEP, snap_distance_m=40).status == "snapped"
    p = index().locate(0.0, 0.0)
    assert p == Placement.outside(0.0, 0.0) and p.cell_id is None and p.distance_m is None


def test_a_point_in_a_hole_snaps_to_the_ring_around_it():
    cell = CellIndex([1], ["990101001001001"], [1], [MultiPolygon([polygon_with_hole()])])
    lat = LAT0 + STEP / 2
    centre = cell.locate(lat, LNG0 + STEP / 2, snap_distance_m=100)
    # the hole's east and west sides are nearer than its north and south ones, in metres
    expected = STEP / 4 * M_PER_DEG * np.cos(np.radians(lat))
    assert centre.status == "snapped"
    assert centre.distance_m == pytest.approx(expected, rel=1e-9)
    assert cell.locate(LAT0 + STEP / 2, LNG0 + STEP / 2).status == "outside"


def test_an_empty_index_places_everything_outside():
    empty = CellIndex([], [], [], [])
    assert empty.locate(LAT0, LNG0).status == "outside"
    assert list(empty.locate_many([LAT0], [LNG0]).status) == [2]


def test_locate_many_gives_the_answer_of_locate_point_by_point():
    idx = index()
    rng = np.random.default_rng(3)
    margin = 60 / M_PER_DEG
    lats = rng.uniform(LAT0 - margin, LAT0 + 2 * STEP + margin, 3000)
    lngs = rng.uniform(LNG0 - margin, LNG0 + 2 * STEP + margin, 3000)
    # and the special places: the shared vertex, edge midpoints, corners
    lats = np.r_[lats, LAT0 + STEP, LAT0 + STEP, LAT0, LAT0 - 5 / M_PER_DEG]
    lngs = np.r_[lngs, LNG0 + STEP, LNG0 + STEP / 2, LNG0, LNG0 + STEP]
    batch = idx.locate_many(lats, lngs)
    seen = set()
    for i, (lat, lng) in enumerate(zip(lats, lngs, strict=True)):
        one = idx.locate(lat, lng)
        status = STATUSES[batch.status[i]]
        seen.add(status)
        assert status == one.status
        if one.cell_code is None:
            assert batch.cell[i] == -1
        else:
            assert idx.codes[batch.cell[i]] == one.cell_code
            assert batch.distance_m[i] == pytest.approx(one.distance_m, abs=1e-9)
    assert seen == {"inside", "snapped", "outside"}
