"""`gridflow patrol` on the real stack: pings posted through the API, relayed to Kafka and
folded by the processor give the exact distance and coverage of known tracks over known cells
(ground truth: shapely over the projected cell and track, the ellipsoid for distance); the
same points again and a replay from offset 0 leave every figure as it was; a late batch of
yesterday changes yesterday alone; a 5 km jump in 10 s is flagged and walks no distance."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from sqlalchemy import text

from services.envelopes import PATROL_PINGS, topic_name
from streams.patrol import run_patrol
from tests.integration.patrol_tracks import (
    ZONE,
    line,
    post_pings,
    square_pair,
    today_start,
    true_coverage,
    true_distance_m,
)
from tests.integration.services.accounts import signed_in
from tests.integration.streams.stream_helpers import wait_until
from tests.processes import GridflowProcess

TOLERANCE = 1e-4  # of a share: 6 m² of a 250 m cell


@pytest.fixture(scope="module")
def relay(topics, demo_rules):
    proc = GridflowProcess(f"patrol-relay-{uuid.uuid4().hex[:6]}", ["relay"], topics)
    yield proc
    assert proc.stop() == 0, proc.output()


@pytest.fixture()
def patrol(topics, background):
    """Starts a patrol processor in its own consumer group; returns the group's name."""

    def _start(group: str | None = None) -> str:
        group = group or f"patrol-{uuid.uuid4().hex[:8]}"
        background(lambda stop: run_patrol(topics, stop, group=group, batch_size=50))
        return group

    return _start


def _day(engine, worker: int, day):
    sql = "SELECT * FROM patrol_day WHERE worker_id = :w AND day = :d"
    with engine.connect() as conn:
        return conn.execute(text(sql), {"w": worker, "d": day}).mappings().first()


def _figures(engine, workers: list[int], cells: list[str]) -> dict:
    """Every stored figure of these workers and cells (all columns, `updated_at` included)."""
    with engine.connect() as conn:
        days = conn.execute(text(
            "SELECT worker_id, day, first_at, last_at, points, flagged, segments, distance_m, "
            "patrol_s, own_cells_s, ST_AsText(track) AS track, updated_at FROM patrol_day "
            "WHERE worker_id = ANY(:w) ORDER BY worker_id, day"), {"w": workers}).all()  # fmt: skip
        cover = conn.execute(text(
            "SELECT * FROM patrol_coverage WHERE cell_code = ANY(:c) ORDER BY cell_code, day"),
            {"c": cells}).all()  # fmt: skip
        flags = conn.execute(text(
            "SELECT worker_id, t, flagged FROM patrol_point WHERE worker_id = ANY(:w) "
            "ORDER BY worker_id, t"), {"w": workers}).all()  # fmt: skip
    return {"days": days, "coverage": cover, "flags": flags}


def _coverage(engine, code: str, day) -> tuple[float, float]:
    sql = "SELECT share, own_share FROM patrol_coverage WHERE cell_code = :c AND day = :d"
    with engine.connect() as conn:
        row = conn.execute(text(sql), {"c": code, "d": day}).first()
    return (row.share, row.own_share) if row else (0.0, 0.0)


def _caught_up(config, group: str) -> bool:
    """Whether the group committed the end of every partition of patrol-pings."""
    name = topic_name(config.topic_prefix, PATROL_PINGS)
    servers = config.kafka_bootstrap_servers.split(",")
    consumer = KafkaConsumer(bootstrap_servers=servers)
    admin = KafkaAdminClient(bootstrap_servers=servers)
    try:
        tps = [TopicPartition(name, p) for p in consumer.partitions_for_topic(name) or ()]
        ends = consumer.end_offsets(tps)
        group_id = f"{config.topic_prefix}{group}"
        done = admin.list_group_offsets({group_id: None}).get(group_id, {})
        return all(ends[tp] == 0 or (tp in done and done[tp].offset >= ends[tp]) for tp in tps)
    finally:
        consumer.close()
        admin.close()


@pytest.fixture(scope="module")
def walked(stream_app, engine, demo_rules, relay, topics):
    """Two workers' walks of today over two cells side by side, one with a 5 km jump, folded
    by a processor; what was posted, for the tests to measure."""
    api = stream_app.test_client()
    own, east = square_pair(engine, set())
    w1, h1 = signed_in(api, engine, "grid_worker", cells=(own.code,))
    w2, h2 = signed_in(api, engine, "grid_worker", cells=(east.code,))
    start = today_start()
    lat, lng = own.middle
    # w1 walks west → east through the middle of both cells, 40 m past each outer edge
    across = line((lat, own.west - 0.0004), (lat, east.east + 0.0004), start)
    jump_at = len(across) // 2
    jumped = dict(across[jump_at], lat=round(lat + 5000 / 111_000, 7))
    jumped["t"] = (datetime.fromisoformat(across[jump_at]["t"]) + timedelta(seconds=5)).isoformat()
    # w2 walks south → north through the middle of w1's cell only
    up = line((own.south + 0.0001, lng), (own.north - 0.0001, lng), start)
    post_pings(api, h1, [*across, jumped])
    post_pings(api, h2, up)
    return {"own": own, "east": east, "w1": w1, "w2": w2, "h1": h1, "h2": h2, "across": across,
            "jumped": jumped, "up": up, "day": datetime.fromisoformat(across[0]["t"])
            .astimezone(ZONE).date(), "api": api}  # fmt: skip


def _folded(engine, world) -> None:
    """Waits until the processor has both workers' walks."""

    def done():
        w1 = _day(engine, world["w1"], world["day"])
        w2 = _day(engine, world["w2"], world["day"])
        return w1 and w1["points"] == len(world["across"]) + 1 and w2

    wait_until(done)


def test_a_known_track_gives_the_exact_distance_time_and_coverage(engine, walked, patrol):
    patrol()
    _folded(engine, walked)
    across, up, day = walked["across"], walked["up"], walked["day"]
    w1 = _day(engine, walked["w1"], day)
    # the jump is kept, flagged, and walks no distance: the distance is the straight walk's
    assert w1["flagged"] == 1 and w1["segments"] == 1
    assert w1["distance_m"] == pytest.approx(true_distance_m(engine, across), abs=1e-6)
    assert w1["distance_m"] < 1000
    first, last = (datetime.fromisoformat(across[i]["t"]) for i in (0, -1))
    assert w1["patrol_s"] == (last - first).total_seconds()
    assert (w1["first_at"], w1["last_at"]) == (first, last)
    # own-cell time: the steps with both ends inside the own cell
    assert 0 < w1["own_cells_s"] < w1["patrol_s"]
    with engine.connect() as conn:
        flagged = conn.execute(text("SELECT t FROM patrol_point WHERE worker_id = :w AND "
                                    "flagged"), {"w": walked["w1"]}).scalars().all()  # fmt: skip
    assert flagged == [datetime.fromisoformat(walked["jumped"]["t"])]

    own, east = walked["own"].code, walked["east"].code
    share, own_share = _coverage(engine, own, day)
    assert share == pytest.approx(true_coverage(engine, own, [across, up]), abs=TOLERANCE)
    assert own_share == pytest.approx(true_coverage(engine, own, [across]), abs=TOLERANCE)
    assert 0.2 < own_share < share < 1
    share, own_share = _coverage(engine, east, day)
    assert share == pytest.approx(true_coverage(engine, east, [across]), abs=TOLERANCE)
    assert own_share == 0.0  # w2, the east cell's worker, never walked there
    w2 = _day(engine, walked["w2"], day)
    assert w2["own_cells_s"] == 0 and w2["patrol_s"] > 0


def test_the_same_points_again_and_a_replay_from_offset_0_change_nothing(
    engine, walked, patrol, topics
):
    patrol()
    _folded(engine, walked)
    workers, cells = [walked["w1"], walked["w2"]], [walked["own"].code, walked["east"].code]
    before = _figures(engine, workers, cells)
    # the same points in new batches (a phone that lost the answers and sent again)
    post_pings(walked["api"], walked["h1"], [*walked["across"], walked["jumped"]])
    post_pings(walked["api"], walked["h2"], list(reversed(walked["up"])))
    group = patrol()
    wait_until(lambda: _caught_up(topics, group), timeout_s=90)
    assert _figures(engine, workers, cells) == before


def test_a_late_batch_of_yesterday_changes_yesterday_only(engine, walked, patrol):
    patrol()
    _folded(engine, walked)
    workers, cells = [walked["w1"], walked["w2"]], [walked["own"].code, walked["east"].code]
    today = _figures(engine, workers, cells)
    yesterday = walked["day"] - timedelta(days=1)
    noon = datetime.combine(yesterday, datetime.min.time(), ZONE) + timedelta(hours=12)
    lat, _ = walked["own"].middle
    late = line((lat, walked["own"].west + 0.0006), (lat, walked["own"].east - 0.0006), noon)
    post_pings(walked["api"], walked["h1"], late)
    wait_until(lambda: _day(engine, walked["w1"], yesterday))
    after = _figures(engine, workers, cells)
    day_of = lambda rows, d: [r for r in rows if r.day == d]  # noqa: E731
    for kind in ("days", "coverage"):
        assert day_of(after[kind], walked["day"]) == day_of(today[kind], walked["day"])
    share, own_share = _coverage(engine, walked["own"].code, yesterday)
    assert (
        share
        == own_share
        == pytest.approx(true_coverage(engine, walked["own"].code, [late]), abs=TOLERANCE)
    )
    assert _coverage(engine, walked["east"].code, yesterday) == (0.0, 0.0)
    assert _day(engine, walked["w1"], yesterday)["distance_m"] == pytest.approx(
        true_distance_m(engine, late), abs=1e-6
    )


def test_raw_points_past_the_retention_are_dropped_and_never_applied_again(engine, config):
    from services.patrol.aggregate import Aggregator
    from services.store.patrol.points import ensure_partition
    from streams.scheduler import patrol_retention_job

    today = datetime.now(ZONE).date()
    old, kept = today - timedelta(days=config.patrol_keep_days), today - timedelta(days=1)
    with engine.begin() as conn:
        ensure_partition(conn, old)
        ensure_partition(conn, kept)
    name = lambda day: f"patrol_point_{day:%Y%m%d}"  # noqa: E731
    area = ("INSERT INTO patrol_coverage_area (cell_code, day, cell_area, anyone) VALUES "
            "(:c, :d, 1, ST_MakeEnvelope(0, 0, 1, 1))")  # fmt: skip
    code = f"retention-{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        for day in (old, kept):
            conn.execute(text(area), {"c": code, "d": day})
    assert patrol_retention_job(engine, config) >= 1
    with engine.connect() as conn:
        found = conn.execute(text("SELECT to_regclass(:a), to_regclass(:b)"),
                             {"a": name(old), "b": name(kept)}).one()  # fmt: skip
    assert found == (None, name(kept))
    with engine.connect() as conn:
        days = conn.execute(text("SELECT day FROM patrol_coverage_area WHERE cell_code = :c"),
                            {"c": code}).scalars().all()  # fmt: skip
    assert days == [kept]  # the covered parts of a day whose points are gone go with them
    # a replay bringing the dropped day's points back applies none of them
    at = datetime.combine(old, datetime.min.time(), ZONE) + timedelta(hours=10)
    folded = Aggregator(engine, config).apply([(1, old, at, 29.9, 121.7, 5.0)])
    assert folded.worker_days == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT to_regclass(:a)"), {"a": name(old)}).scalar() is None
