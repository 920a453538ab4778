"""Generating grids: valid 15-digit codes, full coverage, no overlaps, stable numbering."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from geo import codes
from geo.demo import read_boundary
from geo.generate import generate_grid
from geo.geometry import area_m2
from geo.validate import ValidationReport, validate_grid
from tests.unit.geo.grids import LAT0, LNG0

# An L-shaped district of about 3 km × 3 km with a courtyard hole.
L_SHAPE = Polygon(
    [(LNG0, LAT0), (LNG0 + 0.03, LAT0), (LNG0 + 0.03, LAT0 + 0.012), (LNG0 + 0.015, LAT0 + 0.012),
     (LNG0 + 0.016, LAT0 + 0.027), (LNG0, LAT0 + 0.027)],
    [[(LNG0 + 0.004, LAT0 + 0.004), (LNG0 + 0.008, LAT0 + 0.004), (LNG0 + 0.008, LAT0 + 0.007),
      (LNG0 + 0.004, LAT0 + 0.007)]],
)  # fmt: skip


@pytest.mark.parametrize("shape", ["square", "hex"])
def test_cells_cover_the_boundary_without_overlaps(shape):
    grid = generate_grid(L_SHAPE, "990201", "测试区", shape=shape, size_m=200)
    union = shapely.union_all([c.geom for c in grid.cells])
    assert area_m2(shapely.symmetric_difference(union, L_SHAPE)) < 1.0
    report = validate_grid(grid, ValidationReport(), overlap_tolerance_m2=0.01,
                           gap_tolerance_m2=0.01)  # fmt: skip
    assert report.problems == []
    whole = 200 * 200
    areas = np.array([area_m2(c.geom) for c in grid.cells])
    assert areas.max() < whole * 1.25  # slivers merged into a neighbour stay small
    assert np.median(areas) == pytest.approx(whole, rel=0.02)


def test_codes_nest_and_start_with_the_district():
    grid = generate_grid(L_SHAPE, "990201", "测试区", size_m=150, community_cells=3,
                         street_communities=3)  # fmt: skip
    levels = {j.level for j in grid.jurisdictions.values()}
    assert levels == {"district", "street", "community"}
    for cell in grid.cells:
        assert codes.is_code(cell.code, "cell") and cell.code.startswith("990201")
        assert cell.community_code in grid.jurisdictions
        assert grid.jurisdictions[cell.community_code].geom.covers(cell.geom.representative_point())
    for jur in grid.jurisdictions.values():
        assert codes.is_code(jur.code, jur.level)
        assert jur.parent_code is None or jur.parent_code in grid.jurisdictions
    assert len({c.code for c in grid.cells}) == len(grid.cells)


def test_numbering_is_stable_and_runs_from_the_north_west():
    a = generate_grid(L_SHAPE, "990201", "测试区", size_m=250)
    b = generate_grid(L_SHAPE, "990201", "测试区", size_m=250)
    assert a.checksum("990201") == b.checksum("990201")
    first = a.jurisdictions["990201001"].geom.centroid
    last = a.jurisdictions[max(c for c in a.jurisdictions if len(c) == 9)].geom.centroid
    assert first.y > last.y or first.x < last.x


def test_hexagons_have_the_area_of_the_square():
    grid = generate_grid(L_SHAPE, "990201", "测试区", shape="hex", size_m=200)
    vertices = [len(c.geom.geoms[0].exterior.coords) for c in grid.cells]
    assert max(set(vertices), key=vertices.count) == 7  # six corners + closing point
    inner = [area_m2(c.geom) for c in grid.cells if len(c.geom.geoms[0].exterior.coords) == 7]
    assert np.median(inner) == pytest.approx(200 * 200, rel=0.01)


@pytest.mark.parametrize(
    "kwargs",
    [{"shape": "triangle"}, {"size_m": 0}, {"community_cells": 0}, {"district_code": "12345"}],
)
def test_bad_parameters_are_refused(kwargs):
    args = {"district_code": "990201", "district_name": "x", **kwargs}
    with pytest.raises(ValueError):
        generate_grid(L_SHAPE, **args)


def test_the_demo_district_cuts_into_thousands_of_cells():
    code, name, boundary = read_boundary()
    assert (code, name) == ("330211", "镇海区")
    assert 200e6 < area_m2(boundary) < 300e6
    grid = generate_grid(boundary, code, name, size_m=250)
    assert len(grid.cells) >= 2000
    assert all(c.code.startswith("330211") for c in grid.cells)
    assert math.isclose(sum(area_m2(c.geom) for c in grid.cells), area_m2(boundary), rel_tol=1e-6)
