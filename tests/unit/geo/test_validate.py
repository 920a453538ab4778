"""The validation report: overlaps and gaps with their areas, unknown parents."""

from __future__ import annotations

import pytest
from shapely.geometry import MultiPolygon, box

from geo.geojson_io import parse_feature_collection
from geo.grid import Cell
from geo.validate import ValidationReport, validate_grid
from tests.unit.geo.grids import LAT0, LNG0, STEP, two_by_two


def validated(text, known=(), **tolerances):
    grid, report = parse_feature_collection(text)
    assert report.ok
    return grid, validate_grid(grid, report, known, **tolerances)


def test_a_clean_grid_has_no_problems():
    _, report = validated(two_by_two())
    assert report.problems == [] and report.ok
    assert "0 errors, 0 warnings" in report.format_text()


def test_overlapping_siblings_are_listed_with_the_overlap_area():
    _, report = validated(two_by_two(shift_m=10.0))
    (problem,) = report.problems
    assert (problem.kind, problem.severity) == ("overlap", "error")
    assert "sibling cells 990101001001001 and 990101001001002" in problem.message
    # 10 m wide × one STEP (≈ 222 m) tall
    assert problem.area_m2 == pytest.approx(10 * STEP * 111195, rel=0.01)
    assert not report.ok


def test_overlaps_below_the_tolerance_pass():
    _, report = validated(two_by_two(shift_m=0.001), overlap_tolerance_m2=1.0)
    assert report.ok and report.problems == []


def test_gaps_in_a_community_are_warnings_with_their_area():
    grid, report = parse_feature_collection(two_by_two())
    grid.cells = grid.cells[:3]  # the north-east cell is missing
    validate_grid(grid, report)
    (gap,) = report.problems
    assert (gap.kind, gap.severity, gap.code) == ("gap", "warning", "990101001001")
    assert gap.area_m2 == pytest.approx((STEP * 111195) ** 2 * 0.866, rel=0.01)
    assert gap.lat > LAT0 + STEP and gap.lng > LNG0 + STEP
    assert report.ok  # a gap does not block the import


def test_unknown_parents_are_errors_unless_the_database_knows_them():
    grid, report = parse_feature_collection(two_by_two())
    del grid.jurisdictions["990101001001"]
    grid.jurisdictions.pop("990101001")
    validate_grid(grid, report)
    assert {p.code for p in report.errors} == {"990101001001"}
    assert "4 cells name community 990101001001" in report.errors[0].message

    grid, report = parse_feature_collection(two_by_two())
    grid.jurisdictions.pop("990101001001")
    grid.jurisdictions.pop("990101001")
    validate_grid(grid, report, known_codes={"990101001", "990101001001"})
    assert report.ok


def test_overlaps_across_communities_are_found_too():
    grid, report = parse_feature_collection(two_by_two())
    extra = MultiPolygon([box(LNG0, LAT0, LNG0 + STEP / 2, LAT0 + STEP / 2)])
    grid.cells.append(Cell("990101001002001", "other", extra))
    validate_grid(grid, report, known_codes={"990101001002"})
    (problem,) = report.errors
    assert problem.kind == "overlap" and problem.message.startswith("cells ")


def test_report_formats():
    grid, report = parse_feature_collection(two_by_two(shift_m=10.0))
    validate_grid(grid, report)
    data = report.to_dict()
    assert data["ok"] is False and data["errors"] == 1 and data["cells"] == 4
    assert data["problems"][0]["kind"] == "overlap" and "area_m2" in data["problems"][0]
    text = report.format_text()
    assert text.splitlines()[0].startswith("ERROR   overlap")
    assert text.splitlines()[-1].endswith("1 errors, 0 warnings")
    assert isinstance(ValidationReport().to_json(), str)
