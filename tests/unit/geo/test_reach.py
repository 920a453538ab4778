"""The part of a cell within reach of lines, and the merge of a covered part with new reach:
against shapely's buffer of the whole lines; a merge stretch by stretch against the whole."""

from __future__ import annotations

import shapely

from geo.reach import WINDOW, merged, reach_of, share, windows

CELL = shapely.box(0, 0, 250, 250)


def _zigzag(n: int, y: float = 100.0) -> shapely.LineString:
    return shapely.LineString([(10 + 2 * i, y + (i % 2) * 3) for i in range(n)])


def test_lines_are_cut_in_windows_sharing_their_ends():
    line = _zigzag(2 * WINDOW + 5)
    runs = windows([line, shapely.MultiLineString([[(0, 0), (1, 1)], [(5, 5), (6, 6)]]),
                    shapely.LineString()])  # fmt: skip
    coords = [shapely.get_coordinates(r).tolist() for r in runs]
    assert [len(c) for c in coords] == [WINDOW + 1, WINDOW + 1, 5, 2, 2]
    assert coords[0][-1] == coords[1][0] and coords[1][-1] == coords[2][0]


def test_the_reach_is_the_cells_part_of_the_whole_lines_buffer():
    lines = [_zigzag(3 * WINDOW), shapely.LineString([(240, 0), (240, 250)])]
    part = reach_of(CELL, lines, 30.0)
    truth = CELL.intersection(shapely.union_all([line.buffer(30.0) for line in lines]))
    assert abs(part.area - truth.area) / CELL.area < 1e-5  # GEOS' arcs at the windows' ends
    assert part.within(CELL.buffer(1e-9))
    assert reach_of(CELL, [], 30.0) is None
    assert reach_of(CELL, [shapely.LineString([(400, 400), (500, 400)])], 30.0) is None


def test_a_merge_stretch_by_stretch_measures_what_the_whole_measures():
    walk = _zigzag(90)
    xy = shapely.get_coordinates(walk)
    covered = None
    for start in range(0, len(xy) - 1, 7):
        covered = merged(covered, reach_of(CELL, [shapely.LineString(xy[start : start + 8])], 30))
    whole = reach_of(CELL, [walk], 30.0)
    assert abs(share(covered, CELL.area) - share(whole, CELL.area)) < 1e-5
    # a stretch walked again adds nothing; a part the covered one holds keeps it as it is
    again = reach_of(CELL, [shapely.LineString(xy[10:20])], 30.0)
    assert abs(merged(covered, again).area - covered.area) / CELL.area < 1e-6  # arcs
    inside = shapely.box(100, 90, 110, 110)
    assert merged(covered, inside) is covered
    assert merged(covered, None) is covered and merged(None, again) is again


def test_a_share_is_at_most_one_and_zero_without_a_part():
    assert share(None, CELL.area) == 0.0
    assert share(CELL.buffer(1), CELL.area) == 1.0
    assert share(shapely.box(0, 0, 125, 250), CELL.area) == 0.5
