"""The patrol walk: flags, segments and times of a worker-day's points."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.domain.patrol import (
    Ping,
    WalkState,
    ground_distance_m,
    multilinestring_wkt,
    walk,
    walk_on,
)

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
LAT, LNG = 29.95, 121.70
M_PER_DEG_LAT = 111_195.0  # mean Earth radius, as ground_distance_m measures


def north(m: float, s: float, **kw) -> Ping:
    """A point `m` metres north of the origin, `s` seconds after T0."""
    return Ping(T0 + timedelta(seconds=s), LAT + m / M_PER_DEG_LAT, LNG, kw.get("acc", 5.0),
                kw.get("own", True))  # fmt: skip


def test_a_steady_walk_is_one_segment_with_its_time():
    walked = walk([north(15 * i, 15 * i) for i in range(5)])
    assert walked.flags == [False] * 5
    assert len(walked.segments) == 1 and len(walked.segments[0]) == 5
    assert walked.patrol_s == 60.0 and walked.own_cells_s == 60.0


def test_a_gap_over_five_minutes_starts_a_new_segment_and_adds_no_time():
    walked = walk([north(0, 0), north(10, 10), north(20, 10 + 301), north(30, 321)])
    assert len(walked.segments) == 2
    assert walked.patrol_s == 20.0


def test_exactly_five_minutes_is_no_gap():
    walked = walk([north(0, 0), north(100, 300)])
    assert len(walked.segments) == 1 and walked.patrol_s == 300.0


def test_a_jump_of_5_km_in_10_s_is_flagged_and_the_walk_goes_on_from_the_last_good_point():
    walked = walk([north(0, 0), north(10, 10), north(5010, 20), north(20, 30)])
    assert walked.flags == [False, False, True, False]
    assert walked.segments == [[(LNG, LAT), (LNG, LAT + 10 / M_PER_DEG_LAT),
                                (LNG, LAT + 20 / M_PER_DEG_LAT)]]  # fmt: skip
    assert walked.patrol_s == 30.0 and walked.flagged == 1


def test_forty_km_per_hour_is_plausible_and_just_above_is_not():
    # 40 km/h = 11.11 m/s: 111 m in 10 s passes, 112 m does not
    assert walk([north(0, 0), north(111, 10)]).flags == [False, False]
    assert walk([north(0, 0), north(112, 10)]).flags == [False, True]


def test_a_poor_fix_is_flagged_whatever_its_place():
    walked = walk([north(0, 0), north(5, 10, acc=50.1), north(10, 20, acc=50.0)])
    assert walked.flags == [False, True, False]
    assert walked.patrol_s == 20.0


def test_time_in_own_cells_needs_both_ends_inside():
    walked = walk([north(0, 0), north(10, 10, own=False), north(20, 20), north(30, 30)])
    assert walked.patrol_s == 30.0 and walked.own_cells_s == 10.0


def test_a_lone_point_makes_no_segment_and_wkt_is_none_without_segments():
    walked = walk([north(0, 0)])
    assert walked.segments == [] and multilinestring_wkt(walked.segments) is None


def test_wkt_lists_every_segment():
    assert multilinestring_wkt([[(1.0, 2.0), (3.0, 4.0)], [(5.0, 6.0), (7.0, 8.0)]]) == (
        "MULTILINESTRING((1.0 2.0,3.0 4.0),(5.0 6.0,7.0 8.0))"
    )


def test_ground_distance_of_a_degree_of_latitude():
    assert abs(ground_distance_m(north(0, 0), north(M_PER_DEG_LAT, 0)) - M_PER_DEG_LAT) < 0.5


def _mixed_day() -> list[Ping]:
    """A day with everything a walk decides: steady steps, a bad fix, a 5 km jump, a gap,
    steps outside the own cells and a lone point after a second gap."""
    pings = [north(12 * i, 10 * i, own=i % 7 != 3) for i in range(12)]
    pings.insert(4, north(40, 35, acc=80.0))
    pings.insert(8, north(5000, 65))
    pings += [north(200 + 12 * i, 500 + 10 * i) for i in range(6)]
    pings.append(north(400, 1200))
    return pings


def test_a_day_walked_in_stretches_is_the_day_walked_at_once():
    pings = _mixed_day()
    whole = walk(pings)
    for cuts in ([1], [4, 5], [8, 9, 10], [12, 13], list(range(1, len(pings)))):
        state, patrol_s, own_s, flags, lines = WalkState(), 0.0, 0.0, [], []
        for a, b in zip([0, *cuts], [*cuts, len(pings)], strict=True):
            stretch = walk_on(state, pings[a:b], patrol_s, own_s)
            state, patrol_s, own_s = stretch.state, stretch.patrol_s, stretch.own_cells_s
            flags += stretch.flags
            for coords, extends in stretch.pieces:
                if extends:
                    assert lines[-1][-1] == coords[0]
                    lines[-1] = lines[-1] + coords[1:]
                else:
                    lines.append(coords)
        assert flags == whole.flags
        assert lines == whole.segments
        assert (patrol_s, own_s) == (whole.patrol_s, whole.own_cells_s)
        assert state == whole.state


def test_a_stretch_counts_only_the_segments_it_starts():
    first = walk_on(WalkState(), [north(0, 0)])
    assert first.pieces == [] and first.state.open_points == 1
    second = walk_on(first.state, [north(12, 10)])
    assert second.new_segments == 1 and second.pieces[0][1] is False
    third = walk_on(second.state, [north(24, 20), north(36, 30)])
    assert third.new_segments == 0 and len(third.pieces[0][0]) == 3
    after_gap = walk_on(third.state, [north(48, 400), north(60, 410)])
    assert after_gap.new_segments == 1 and after_gap.patrol_s == 10
