"""Grid edits in memory: a split retires the cell's code for two new ones covering it exactly;
a merge keeps the smallest code; what cannot be done is refused naming the input."""

import pytest

from geo.edit import EditError, merge_cells, split_cell
from geo.geojson_io import parse_feature_collection
from geo.validate import validate_grid
from tests.unit.geo.grids import LAT0, LNG0, STEP, two_by_two

COMMUNITY = "990101001001"


def _grid():
    grid, report = parse_feature_collection(two_by_two())
    assert report.ok
    return grid


def test_a_split_makes_two_new_cells_covering_the_old_one():
    grid = _grid()
    middle = LNG0 + STEP / 2
    new, codes = split_cell(
        grid, f"{COMMUNITY}001", [[middle, LAT0 - 0.001], [middle, LAT0 + STEP + 0.001]]
    )
    assert codes == [f"{COMMUNITY}005", f"{COMMUNITY}006"]
    cells = {c.code: c for c in new.cells}
    assert f"{COMMUNITY}001" not in cells and len(cells) == 5
    west, east = cells[codes[0]].geom, cells[codes[1]].geom
    assert west.centroid.x < east.centroid.x
    old = next(c for c in grid.cells if c.code == f"{COMMUNITY}001").geom
    assert abs(west.area + east.area - old.area) < 1e-12
    assert validate_grid(new, parse_feature_collection(two_by_two())[1]).ok
    assert len(grid.cells) == 4  # the input grid is left alone


@pytest.mark.parametrize(
    ("code", "line", "field"),
    [
        (f"{COMMUNITY}009", [[LNG0, LAT0], [LNG0 + 1, LAT0 + 1]], "cell_code"),
        (f"{COMMUNITY}001", [[LNG0 + 5, LAT0 + 5], [LNG0 + 6, LAT0 + 6]], "line"),
        (f"{COMMUNITY}001", [[LNG0 + STEP / 2, LAT0 + STEP / 4]], "line"),
        (f"{COMMUNITY}001", [["east", 1], [2, 3]], "line"),
    ],
)
def test_a_split_that_does_not_cut_in_two_is_refused(code, line, field):
    with pytest.raises(EditError) as refused:
        split_cell(_grid(), code, line)
    assert refused.value.field == field


def test_a_merge_keeps_the_smallest_code_and_needs_neighbours():
    grid = _grid()
    new, code = merge_cells(grid, [f"{COMMUNITY}002", f"{COMMUNITY}001"])
    assert code == f"{COMMUNITY}001" and len(new.cells) == 3
    merged = next(c for c in new.cells if c.code == code).geom
    assert abs(merged.area - 2 * STEP * STEP) < 1e-12
    with pytest.raises(EditError) as diagonal:
        merge_cells(grid, [f"{COMMUNITY}001", f"{COMMUNITY}004"])
    assert diagonal.value.field == "cell_codes"
    with pytest.raises(EditError):
        merge_cells(grid, [f"{COMMUNITY}001"])
