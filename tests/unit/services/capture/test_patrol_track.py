"""A patrol batch read column by column: never accepts what the model refuses, and gives the
values the model would give."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.capture.patrol import (
    PingRejected,
    Track,
    check_times,
    track_of,
    wgs84_points,
)
from services.capture.schemas import PatrolBatchIn

NOW = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)


def point(i=0, **changes):
    base = {
        "t": (NOW - timedelta(seconds=i)).isoformat(),
        "lat": 29.8 + i * 1e-5,
        "lng": 121.5,
        "crs": "wgs84",
        "accuracy_m": 6.5,
    }
    return {**base, **changes}


def model_track(data):
    return Track.of(PatrolBatchIn.model_validate(data))


def same(a: Track, b: Track) -> bool:
    return (a.batch_id, a.t, a.lat, a.lng, a.crs, a.accuracy_m) == (
        b.batch_id,
        b.t,
        b.lat,
        b.lng,
        b.crs,
        b.accuracy_m,
    )


def test_a_plain_batch_is_read_as_the_model_reads_it():
    data = {
        "batch_id": str(uuid.uuid4()),
        "pings": [point(i) for i in range(500)],
    }
    data["pings"][3] = point(3, lat=30, accuracy_m=None, crs="gcj02")
    data["pings"][4] = point(4, t="2026-05-04T11:00:00.25+08:00")
    del data["pings"][5]["accuracy_m"]
    track = track_of(data)
    assert track is not None and same(track, model_track(data))
    assert track.lat[3] == 30.0 and type(track.lat[3]) is float
    assert track.t[4] == datetime(2026, 5, 4, 3, 0, 0, 250000, tzinfo=UTC)


@pytest.mark.parametrize(
    "change",
    [
        {"lat": 90.5},
        {"lng": -181},
        {"lat": True},
        {"lat": "29.8"},
        {"lat": None},
        {"crs": "WGS84"},
        {"accuracy_m": -1},
        {"accuracy_m": 100_001},
        {"t": "2026-05-04T03:02:01"},
        {"t": "2026-05-04 03:02:01+00:00"},
        {"t": "2026-02-30T03:02:01+00:00"},
        {"t": 1_700_000_000},
        {"speed": 3},
        {"lat": {"deep": [1]}},
        {"crs": ["wgs84"]},
        {"crs": {"a": 1}},
        {"t": ["2026-05-04T03:02:01+00:00"]},
    ],
)
def test_anything_not_plainly_valid_is_left_to_the_model(change):
    pings = [point(i) for i in range(5)]
    pings[3] = {**point(3), **change}
    assert track_of({"pings": pings}) is None


@pytest.mark.parametrize(
    "data",
    [
        {"pings": []},
        {"pings": [point(i) for i in range(501)]},
        {"pings": [point()], "batch_id": "not-a-uuid"},
        {"pings": [point()], "batch_id": 7},
        {"pings": [point()], "extra": 1},
        {"pings": {"0": point()}},
        {"batch_id": str(uuid.uuid4())},
        [point()],
        "pings",
        {"pings": [point(), [1, 2]]},
        {"pings": [{k: v for k, v in point().items() if k != "crs"}]},
    ],
)
def test_bad_batch_shapes_are_left_to_the_model(data):
    assert track_of(data) is None


def test_a_missing_point_field_is_named_by_the_model():
    pings = [point(i) for i in range(20)]
    pings[17]["lat"] = 91
    assert track_of({"pings": pings}) is None
    with pytest.raises(ValidationError) as caught:
        PatrolBatchIn.model_validate({"pings": pings})
    assert caught.value.errors()[0]["loc"] == ("pings", 17, "lat")


values = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-200, max_value=200),
    st.integers(min_value=-200, max_value=200_000),
    st.booleans(),
    st.none(),
    st.sampled_from(["wgs84", "gcj02", "bd09", "x", "1.5"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["a", "crs"]), st.integers(), max_size=2),
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ).map(lambda d: d.isoformat()),
    st.sampled_from(
        [
            "2026-05-04T03:02:01Z",
            "2026-05-04T11:02:01.5+08:00",
            "2026-05-04T03:02:01.000000+00:00",
            "2026-05-04T03:02:01.1234567+00:00",
            "2026-05-04T03:02:01-24:00",
            "2026-05-04T03:02:61+00:00",
        ]
    ),
)
fields = st.sampled_from(["t", "lat", "lng", "crs", "accuracy_m", "speed"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(fields, values, max_size=6), min_size=0, max_size=4))
def test_the_column_read_never_disagrees_with_the_model(pings):
    data = {"pings": [{**point(i), **p} for i, p in enumerate(pings)]}
    track = track_of(data)
    try:
        expected = model_track(data)
    except ValidationError:
        assert track is None
        return
    if track is not None:
        assert same(track, expected)
        assert wgs84_points(track) == wgs84_points(expected)


def test_points_come_out_oldest_first_in_utc_text():
    pings = [
        point(t="2026-05-04T11:00:02+08:00"),
        point(t="2026-05-04T03:00:00+00:00"),
        point(t="2026-05-04T03:00:01.500000+00:00"),
        point(t="2026-05-04T03:00:01Z", crs="gcj02"),
    ]
    track = track_of({"pings": pings})
    points = wgs84_points(track)
    assert [p["t"] for p in points] == [
        "2026-05-04T03:00:00+00:00",
        "2026-05-04T03:00:01+00:00",
        "2026-05-04T03:00:01.500000+00:00",
        "2026-05-04T03:00:02+00:00",
    ]
    assert points[1]["lat"] != round(29.8, 7)  # the gcj02 point was converted
    assert points == wgs84_points(model_track({"pings": pings}))


def test_times_out_of_the_window_name_the_first_such_point():
    times = [NOW - timedelta(hours=1), NOW + timedelta(hours=1), NOW - timedelta(days=8)]
    with pytest.raises(PingRejected) as caught:
        check_times(times, NOW)
    assert caught.value.field == "pings[1].t"
    with pytest.raises(PingRejected) as caught:
        check_times([NOW, NOW - timedelta(days=8)], NOW)
    assert caught.value.field == "pings[1].t"
    check_times([NOW, NOW + timedelta(minutes=9)], NOW)
