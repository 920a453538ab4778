"""Grid edits in memory: a split retires the cell's code for two new ones covering it exactly;
a merge keeps the smallest code; a moved shared edge changes both neighbours and nothing else;
a renumbered cell keeps its shape under a code never used before; what cannot be done is
refused naming the input."""

import pytest

from geo.edit import EditError, merge_cells, move_edge, renumber_cell, split_cell
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


def _shapes(grid) -> dict:
    return {c.code: c.geom for c in grid.cells}


def test_a_moved_edge_changes_both_neighbours_and_keeps_their_union():
    grid = _grid()
    west, east = f"{COMMUNITY}001", f"{COMMUNITY}002"
    edge = LNG0 + STEP * 1.25  # a quarter of a cell east of the shared edge
    new, codes = move_edge(grid, [west, east], [[edge, LAT0 - 0.001], [edge, LAT0 + STEP / 2],
                                                [edge, LAT0 + STEP + 0.001]])  # fmt: skip
    assert codes == [west, east]
    before, after = _shapes(grid), _shapes(new)
    assert set(after) == set(before)
    assert abs(after[west].area - 1.25 * STEP * STEP) < 1e-12
    assert abs(after[east].area - 0.75 * STEP * STEP) < 1e-12
    assert after[west].union(after[east]).symmetric_difference(
        before[west].union(before[east])).area < 1e-15  # fmt: skip
    for code in (f"{COMMUNITY}003", f"{COMMUNITY}004"):
        assert after[code].equals(before[code])
    assert validate_grid(new, parse_feature_collection(two_by_two())[1]).ok


@pytest.mark.parametrize(
    ("codes", "line", "field"),
    [
        ([f"{COMMUNITY}001"], None, "cell_codes"),
        ([f"{COMMUNITY}001", f"{COMMUNITY}004"], None, "cell_codes"),  # a corner, no edge
        ([f"{COMMUNITY}001", f"{COMMUNITY}009"], None, "cell_codes"),
        # the line misses the cells, or cuts them in three, or cuts the west cell alone
        (None, [[LNG0 + 5, LAT0 + 5], [LNG0 + 6, LAT0 + 6]], "line"),
        (
            None,
            [
                [LNG0 + STEP * 0.5, LAT0 - 0.001],
                [LNG0 + STEP * 0.5, LAT0 + STEP + 0.001],
                [LNG0 + STEP * 1.5, LAT0 + STEP + 0.001],
                [LNG0 + STEP * 1.5, LAT0 - 0.001],
            ],
            "line",
        ),  # fmt: skip
        (
            None,
            [[LNG0 + STEP * 0.1, LAT0 - 0.001], [LNG0 + STEP * 0.1, LAT0 + STEP + 0.001]],
            "line",
        ),  # fmt: skip
        (None, [[LNG0 + STEP, LAT0 - 0.001], [LNG0 + STEP, LAT0 + STEP + 0.001]], "line"),
    ],
)
def test_an_edge_move_that_cannot_be_made_is_refused(codes, line, field):
    codes = codes or [f"{COMMUNITY}001", f"{COMMUNITY}002"]
    line = line or [[LNG0 + STEP * 1.25, LAT0 - 0.001], [LNG0 + STEP * 1.25, LAT0 + STEP + 0.001]]
    with pytest.raises(EditError) as refused:
        move_edge(_grid(), codes, line)
    assert refused.value.field == field


def test_a_renumbered_cell_keeps_its_shape_under_a_code_never_used():
    grid = _grid()
    old, new_code = f"{COMMUNITY}004", f"{COMMUNITY}009"
    new, code = renumber_cell(grid, old, new_code, used_before={f"{COMMUNITY}005"})
    assert code == new_code
    after = _shapes(new)
    assert old not in after and after[new_code].equals(_shapes(grid)[old])
    assert [c.code for c in new.cells] == sorted(after)
    for bad in (f"{COMMUNITY}001", f"{COMMUNITY}005", f"{COMMUNITY}004", "990101001002001",
                "99010100100x"):  # fmt: skip
        with pytest.raises(EditError) as refused:
            renumber_cell(grid, old, bad, used_before={f"{COMMUNITY}005"})
        assert refused.value.field == "new_code", bad
    with pytest.raises(EditError) as missing:
        renumber_cell(grid, f"{COMMUNITY}008", new_code)
    assert missing.value.field == "cell_code"
