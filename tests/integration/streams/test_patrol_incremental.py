"""The patrol folded batch by batch (each batch its own transaction, as the processor applies
chunks): a day merged stretch by stretch measures what the whole day measures (ground truth:
shapely over the projected cells and walks, the ellipsoid for distance; and the day measured
again whole from its stored tracks); the same batches again change nothing; a late point
inside a walked stretch walks its day again and takes back the coverage of the stretch it
replaced; and no test is handed a cell another walk of the day reached (its figures would hold
coverage the test never walked)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import NoResultFound

from services.patrol.aggregate import Aggregator, points_of
from services.store.patrol import coverage
from tests.integration.patrol_tracks import (
    DEG_LAT_M,
    ZONE,
    east_of,
    line,
    square_pair,
    today_start,
    true_coverage,
    true_distance_m,
)
from tests.integration.services.accounts import make_user

TOLERANCE = 1e-4  # of a share: 6 m² of a 250 m cell (the kept track is simplified to ~1 m)


def _apply(aggregator: Aggregator, worker: int, pings: list[dict], size: int) -> None:
    for start in range(0, len(pings), size):
        batch = {"worker_id": worker, "pings": pings[start : start + size]}
        aggregator.apply(points_of(batch, ZONE))


def _day(engine, worker: int, day):
    sql = (
        "SELECT worker_id, day, first_at, last_at, points, flagged, segments, distance_m, "
        "patrol_s, own_cells_s, ST_AsText(track) AS track, updated_at FROM patrol_day "
        "WHERE worker_id = :w AND day = :d"
    )
    with engine.connect() as conn:
        return conn.execute(text(sql), {"w": worker, "d": day}).mappings().one()


def _coverage(engine, codes: list[str], day) -> dict[str, tuple[float, float]]:
    sql = "SELECT * FROM patrol_coverage WHERE cell_code = ANY(:c) AND day = :d"
    with engine.connect() as conn:
        rows = conn.execute(text(sql), {"c": codes, "d": day}).all()
    return {r.cell_code: (r.share, r.own_share, r.updated_at) for r in rows}


def _shifted(pings: list[dict], seconds: float) -> list[dict]:
    return [dict(p, t=(datetime.fromisoformat(p["t"]) + timedelta(seconds=seconds)).isoformat())
            for p in pings]  # fmt: skip


def test_a_day_merged_batch_by_batch_measures_what_the_whole_day_measures(
    engine, config, demo_rules
):
    own, east = square_pair(engine, set())
    w1, _ = make_user(engine, "grid_worker", cells=(own.code,))
    w2, _ = make_user(engine, "grid_worker", cells=(east.code,))
    start = today_start()
    lat, lng = own.middle
    across = line((lat, own.west - 0.0004), (lat, east.east + 0.0004), start)
    # a 5 km jump 5 s after a batch's last point, the first point of the next batch
    cut = 4 * (len(across) // 8)
    jumped = dict(across[cut - 1], lat=round(lat + 5000 / DEG_LAT_M, 7))
    jumped["t"] = (datetime.fromisoformat(across[cut - 1]["t"]) + timedelta(seconds=5)).isoformat()
    walk1 = [*across[:cut], jumped, *across[cut:]]
    # w2 walks up the middle of w1's cell, stops for 6 minutes halfway and walks on
    up = line((own.south + 0.0001, lng), (own.north - 0.0001, lng), start)
    half = len(up) // 2
    up_first, up_then = up[:half], _shifted(up[half:], 360)
    aggregator = Aggregator(engine, config)
    _apply(aggregator, w1, walk1, 4)
    _apply(aggregator, w2, [*up_first, *up_then], 3)
    day = datetime.fromisoformat(across[0]["t"]).astimezone(ZONE).date()

    d1, d2 = _day(engine, w1, day), _day(engine, w2, day)
    assert (d1["points"], d1["flagged"], d1["segments"]) == (len(walk1), 1, 1)
    assert d1["distance_m"] == pytest.approx(true_distance_m(engine, across), abs=1e-6)
    first, last = (datetime.fromisoformat(across[i]["t"]) for i in (0, -1))
    assert d1["patrol_s"] == (last - first).total_seconds()
    assert 0 < d1["own_cells_s"] < d1["patrol_s"]
    assert (d2["segments"], d2["flagged"]) == (2, 0)
    assert d2["distance_m"] == pytest.approx(
        true_distance_m(engine, up_first) + true_distance_m(engine, up_then), abs=1e-6
    )
    assert d2["own_cells_s"] == 0

    merged = _coverage(engine, [own.code, east.code], day)
    share, own_share, _ = merged[own.code]
    assert share == pytest.approx(
        true_coverage(engine, own.code, [across, up_first, up_then]), abs=TOLERANCE
    )
    assert own_share == pytest.approx(true_coverage(engine, own.code, [across]), abs=TOLERANCE)
    share, own_share, _ = merged[east.code]
    assert share == pytest.approx(true_coverage(engine, east.code, [across]), abs=TOLERANCE)
    assert own_share == 0.0

    # the day measured again whole from the stored tracks gives the merged figures
    with engine.begin() as conn:
        whole = coverage.recompute(conn, [(own.code, day), (east.code, day)], config.patrol_reach_m)
    for row in whole:
        assert (row.share, row.own_share) == pytest.approx(merged[row.code][:2], abs=1e-9)

    # the same batches again, cut differently, change nothing at all
    before = (_day(engine, w1, day), _day(engine, w2, day),
              _coverage(engine, [own.code, east.code], day))  # fmt: skip
    _apply(aggregator, w1, walk1, 7)
    _apply(aggregator, w2, [*up_then, *up_first], 50)
    after = (_day(engine, w1, day), _day(engine, w2, day),
             _coverage(engine, [own.code, east.code], day))  # fmt: skip
    assert after == before


def test_a_late_point_inside_a_walked_stretch_walks_the_day_again(engine, config, demo_rules):
    own, _ = square_pair(engine, set())
    worker, _ = make_user(engine, "grid_worker", cells=(own.code,))
    lat, _ = own.middle
    walked = line((lat, own.west + 0.0002), (lat, own.east - 0.0002), today_start())
    # halfway the phone lost three points; the one it sends late was 40 m north of the line
    mid = len(walked) // 2
    detour = dict(walked[mid], lat=round(lat + 40 / DEG_LAT_M, 7))
    straight = walked[: mid - 1] + walked[mid + 2 :]
    aggregator = Aggregator(engine, config)
    _apply(aggregator, worker, straight, 5)
    day = datetime.fromisoformat(walked[0]["t"]).astimezone(ZONE).date()
    share_straight = _coverage(engine, [own.code], day)[own.code][0]
    assert share_straight == pytest.approx(
        true_coverage(engine, own.code, [straight]), abs=TOLERANCE
    )

    _apply(aggregator, worker, [detour], 1)
    full = walked[: mid - 1] + [detour] + walked[mid + 2 :]
    figures = _day(engine, worker, day)
    assert (figures["points"], figures["flagged"], figures["segments"]) == (len(full), 0, 1)
    assert figures["distance_m"] == pytest.approx(true_distance_m(engine, full), abs=1e-6)
    share, own_share, _ = _coverage(engine, [own.code], day)[own.code]
    # the straight step's reach south of the line is not covered any more: merging the detour
    # into what the straight step covered would be wrong
    truth = true_coverage(engine, own.code, [full])
    assert share == own_share == pytest.approx(truth, abs=TOLERANCE)
    assert true_coverage(engine, own.code, [straight, full]) - truth > 10 * TOLERANCE


def test_no_cell_another_test_walked_is_handed_to_a_test(engine, config, demo_rules):
    # Two cells east of a pair handed out (so not next to one), another test's worker walks
    # from the cell's centre 30 m east, as the authorization world's patrolled worker does: a
    # walk hidden in the reach of a walk through the middle, until a late point takes the
    # middle of that walk back (a late-point test handed this cell measured 0.27270 against
    # its own walk's 0.27106).
    for _ in range(20):
        _, start = square_pair(engine, set())
        next_to = east_of(engine, start)
        walked = next_to and east_of(engine, next_to)
        after = walked and east_of(engine, walked)
        if after is not None:
            break
    else:
        pytest.fail("no pair handed out had three whole square cells east of it")
    worker, _ = make_user(engine, "grid_worker", cells=(walked.code,))
    lat, lng = walked.middle
    walk = line((lat, lng), (lat, lng + 0.0003), today_start())
    _apply(Aggregator(engine, config), worker, walk, 20)
    day = datetime.fromisoformat(walk[0]["t"]).astimezone(ZONE).date()
    share = _coverage(engine, [walked.code], day)[walked.code][0]
    assert share == pytest.approx(true_coverage(engine, walked.code, [walk]), abs=TOLERANCE)
    assert share > 0.05
    # the walked cell and the next one east are never handed out as a pair
    with pytest.raises(NoResultFound):
        square_pair(engine, set(), among={walked.code, after.code})


def test_points_walked_on_are_stored_as_sent_an_accuracy_left_out_as_none(
    engine, config, demo_rules
):
    own, _ = square_pair(engine, set())
    worker, _ = make_user(engine, "grid_worker", cells=(own.code,))
    lat, _ = own.middle
    walk = line((lat, own.west + 0.0006), (lat, own.east - 0.0006), today_start())
    walk[1] = {k: v for k, v in walk[1].items() if k != "accuracy_m"}
    walk[2] = dict(walk[2], accuracy_m=80.0)  # kept, flagged: worse than 50 m
    _apply(Aggregator(engine, config), worker, walk, 6)
    sql = (
        "SELECT t AS at, lat, lng, accuracy_m, flagged FROM patrol_point "
        "WHERE worker_id = :w ORDER BY t"
    )
    with engine.connect() as conn:
        stored = conn.execute(text(sql), {"w": worker}).all()
    assert [(r.at, r.lat, r.lng) for r in stored] == [
        (datetime.fromisoformat(p["t"]), p["lat"], p["lng"]) for p in walk
    ]
    assert [r.accuracy_m for r in stored[:4]] == [5.0, None, 80.0, 5.0]
    assert [r.flagged for r in stored[:4]] == [False, False, True, False]
