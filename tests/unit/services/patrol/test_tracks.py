"""A worker-day's kept track with new pieces appended, and points inside a worker's cells."""

from __future__ import annotations

import shapely

from services.patrol.tracks import SIMPLIFY_DEGREES, appended, inside

CELL = shapely.to_wkb(shapely.box(121.700, 29.950, 121.701, 29.951))


def _lines(wkb: bytes) -> list[list[tuple[float, float]]]:
    return [[tuple(c) for c in shapely.get_coordinates(p)]
            for p in shapely.get_parts(shapely.from_wkb(wkb))]  # fmt: skip


def test_a_piece_that_extends_continues_the_last_line_and_others_start_lines():
    track, added = appended(None, [([(0.0, 0.0), (0.001, 0.0)], False)])
    assert _lines(track) == _lines(added) == [[(0.0, 0.0), (0.001, 0.0)]]
    track, added = appended(track, [([(0.001, 0.0), (0.001, 0.001)], True),
                                    ([(0.005, 0.0), (0.006, 0.0)], False)])  # fmt: skip
    assert _lines(track) == [[(0.0, 0.0), (0.001, 0.0), (0.001, 0.001)],
                             [(0.005, 0.0), (0.006, 0.0)]]  # fmt: skip
    # the stretch's own lines keep the vertex they share with the track (its first edge)
    assert _lines(added) == [[(0.001, 0.0), (0.001, 0.001)], [(0.005, 0.0), (0.006, 0.0)]]


def test_a_piece_is_simplified_its_ends_kept_even_when_it_stands_still():
    straight = [(0.0, i * 0.0001) for i in range(10)]
    bend = [(SIMPLIFY_DEGREES / 2, 0.00045)]
    track, _ = appended(None, [(straight[:5] + bend + straight[5:], False)])
    assert _lines(track) == [[straight[0], straight[-1]]]
    still, _ = appended(track, [([(0.0, 0.0009)] * 3, True)])
    assert _lines(still) == [[straight[0], straight[-1], (0.0, 0.0009)]]
    assert appended(track, []) == (track, None)


def test_inside_counts_the_cells_edge_and_nothing_without_cells():
    lats, lngs = [29.9505, 29.951, 29.952], [121.7005, 121.7005, 121.7005]
    assert inside(CELL, lats, lngs) == [True, True, False]
    assert inside(None, lats, lngs) == [False, False, False]
