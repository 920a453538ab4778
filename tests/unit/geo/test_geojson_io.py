"""Reading import files: every defect is reported with the feature and the reason."""

from __future__ import annotations

import json

import pytest
import shapely

from geo import datum
from geo.geojson_io import feature_collection, parse_feature_collection
from tests.unit.geo.grids import LAT0, LNG0, STEP, collection, feature, square, two_by_two


def kinds(report):
    return [(p.kind, p.severity) for p in report.problems]


def test_a_good_file_gives_jurisdictions_and_cells():
    grid, report = parse_feature_collection(two_by_two())
    assert report.ok and report.problems == []
    assert report.features == 7
    assert sorted(grid.jurisdictions) == ["990101", "990101001", "990101001001"]
    assert [c.code for c in grid.cells] == [f"990101001001{n:03d}" for n in (1, 2, 3, 4)]
    assert grid.cells[0].geom.equals(square(0, 0))


def test_json_syntax_errors_say_where():
    text = two_by_two()[:200] + "}{" + two_by_two()[200:]
    _, report = parse_feature_collection(text)
    (problem,) = report.problems
    assert problem.kind == "malformed" and "line 1 column" in problem.message


@pytest.mark.parametrize(
    "doc", [{"type": "Feature"}, [], {"type": "FeatureCollection", "features": {}}]
)
def test_not_a_feature_collection(doc):
    _, report = parse_feature_collection(json.dumps(doc))
    assert not report.ok and report.errors[0].kind == "malformed"


def test_each_bad_feature_is_named_with_its_reason():
    good = feature("990101001001001", "cell", square(0, 0))
    no_code = feature("", "cell", square(1, 0))
    wrong_length = feature("99010100100101", "cell", square(1, 0))
    wrong_parent = feature("990101001001002", "cell", square(1, 0), parent="990101001009")
    line = {
        "type": "Feature",
        "properties": {"code": "990101001001003", "name": "x", "level": "cell"},
        "geometry": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]},
    }
    far = feature(
        "990101001001004",
        "cell",
        {"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [0, 1], [0, 0]]]},
    )
    _, report = parse_feature_collection(
        collection(good, no_code, wrong_length, wrong_parent, line, far)
    )
    found = {p.feature: (p.kind, p.message) for p in report.errors}
    assert set(found) == {f"features[{i}]" for i in (1, 2, 3, 4, 5)}
    assert found["features[1]"][0] == "malformed" and "code" in found["features[1]"][1]
    assert found["features[2]"][0] == "code_mismatch"
    assert found["features[3]"][0] == "code_mismatch"
    assert "990101001009" in found["features[3]"][1]
    assert found["features[4]"][0] == "malformed" and "LineString" in found["features[4]"][1]
    assert found["features[5]"][0] == "malformed" and "outside" in found["features[5]"][1]


def test_duplicate_codes_are_refused():
    cell = feature("990101001001001", "cell", square(0, 0))
    _, report = parse_feature_collection(collection(cell, dict(cell, id="again")))
    assert kinds(report) == [("duplicate_code", "error")]
    assert report.errors[0].feature == "features[1] id=again"


BOWTIE = {"type": "Polygon", "coordinates": [[[LNG0, LAT0], [LNG0 + STEP, LAT0 + STEP],
          [LNG0 + STEP, LAT0], [LNG0, LAT0 + STEP], [LNG0, LAT0]]]}  # fmt: skip
UNCLOSED = {"type": "Polygon", "coordinates": [[[LNG0, LAT0], [LNG0 + STEP, LAT0],
            [LNG0 + STEP, LAT0 + STEP], [LNG0, LAT0 + STEP]]]}  # fmt: skip
EMPTY = {"type": "MultiPolygon", "coordinates": []}


@pytest.mark.parametrize(
    ("geometry", "reason"),
    [(BOWTIE, "Self-intersection"), (UNCLOSED, "not closed"), (EMPTY, "empty")],
)
def test_invalid_geometries_are_rejected_without_repair(geometry, reason):
    _, report = parse_feature_collection(collection(feature("990101001001001", "cell", geometry)))
    (problem,) = report.problems
    assert (problem.kind, problem.severity) == ("invalid_geometry", "error")
    assert reason in problem.message and problem.code == "990101001001001"


@pytest.mark.parametrize("geometry", [BOWTIE, UNCLOSED])
def test_repair_fixes_what_it_can_and_says_so(geometry):
    grid, report = parse_feature_collection(
        collection(feature("990101001001001", "cell", geometry)), repair=True
    )
    assert report.ok and kinds(report) == [("repaired", "warning")]
    (cell,) = grid.cells
    assert cell.geom.is_valid and cell.geom.geom_type == "MultiPolygon"
    assert cell.geom.area == pytest.approx(STEP * STEP / (2 if geometry is BOWTIE else 1))


def test_repair_cannot_fix_an_empty_geometry():
    _, report = parse_feature_collection(
        collection(feature("990101001001001", "cell", EMPTY)), repair=True
    )
    assert kinds(report) == [("invalid_geometry", "error")]


def test_gcj02_files_are_stored_as_wgs84():
    lat, lng = datum.from_wgs84(LAT0, LNG0, "gcj02")
    ring = [[lng, lat], [lng + STEP, lat], [lng + STEP, lat + STEP], [lng, lat + STEP], [lng, lat]]
    grid, report = parse_feature_collection(
        collection(feature("990101001001001", "cell", {"type": "Polygon", "coordinates": [ring]})),
        crs="gcj02",
    )
    assert report.ok
    x0, y0 = grid.cells[0].geom.geoms[0].exterior.coords[0]
    assert (y0, x0) == pytest.approx((LAT0, LNG0), abs=1e-8)


def test_export_reads_back_to_the_same_grid():
    grid, _ = parse_feature_collection(two_by_two())
    text = json.dumps(feature_collection(grid.jurisdictions.values(), grid.cells, version=3))
    again, report = parse_feature_collection(text)
    assert report.ok
    assert again.checksum("990101") == grid.checksum("990101")
    assert sorted(again.jurisdictions) == sorted(grid.jurisdictions)
    assert all(
        shapely.equals_exact(a.geom, b.geom, 0)
        for a, b in zip(again.cells, grid.cells, strict=True)
    )
