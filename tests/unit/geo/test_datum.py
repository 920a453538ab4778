"""Datum conversion: WGS84 ⇄ GCJ-02 ⇄ BD-09, round trips within 0.5 m over mainland China."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import datum

# Mainland China, roughly: the box the GCJ-02 offset applies in, trimmed to land latitudes.
CHINA_LAT = st.floats(min_value=18.0, max_value=53.5, allow_nan=False)
CHINA_LNG = st.floats(min_value=73.5, max_value=135.0, allow_nan=False)


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Haversine distance between two (lat, lng) points."""
    (lat1, lng1), (lat2, lng2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(h))


@settings(max_examples=500, deadline=None)
@given(lat=CHINA_LAT, lng=CHINA_LNG, crs=st.sampled_from(["gcj02", "bd09"]))
def test_round_trip_stays_within_half_a_metre(lat, lng, crs):
    shown = datum.from_wgs84(lat, lng, crs)
    back = datum.to_wgs84(*shown, crs)
    assert metres((lat, lng), back) < 0.5
    # and the other way round: a phone's reading, to WGS84 and back
    again = datum.from_wgs84(*datum.to_wgs84(lat, lng, crs), crs)
    assert metres((lat, lng), again) < 0.5


def test_known_offset_at_tiananmen():
    # WGS84 39.9087, 116.3975 shows about 700 m north-east on GCJ-02 maps.
    gcj = datum.from_wgs84(39.9087, 116.3975, "gcj02")
    assert gcj == pytest.approx((39.91010, 116.40374), abs=2e-5)
    assert 500 < metres((39.9087, 116.3975), gcj) < 800
    bd = datum.from_wgs84(39.9087, 116.3975, "bd09")
    assert bd == pytest.approx((39.91644, 116.41012), abs=2e-5)


def test_gcj02_leaves_points_outside_china_alone():
    assert datum.from_wgs84(48.8584, 2.2945, "gcj02") == (48.8584, 2.2945)
    assert datum.to_wgs84(48.8584, 2.2945, "gcj02") == (48.8584, 2.2945)


def test_arrays_match_single_points():
    rng = np.random.default_rng(7)
    lats, lngs = rng.uniform(20, 50, 200), rng.uniform(75, 130, 200)
    for crs in datum.SUPPORTED_CRS:
        out_lats, out_lngs = datum.to_wgs84_arrays(lats, lngs, crs)
        singles = [datum.to_wgs84(a, b, crs) for a, b in zip(lats, lngs, strict=True)]
        assert np.allclose(out_lats, [s[0] for s in singles], atol=1e-9)
        assert np.allclose(out_lngs, [s[1] for s in singles], atol=1e-9)


@pytest.mark.parametrize("name", ["WGS84", "wgs-84", "GCJ-02", "bd09", "EPSG:4326", None])
def test_datum_names_are_normalised(name):
    assert datum.normalize_crs(name) in datum.SUPPORTED_CRS


@pytest.mark.parametrize("name", ["utm50n", "", "gcj03", "EPSG:3857"])
def test_unknown_datum_is_refused(name):
    with pytest.raises(datum.UnknownDatum) as err:
        datum.to_wgs84(30.0, 120.0, name)
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize(
    ("lat", "lng", "field"),
    [(91, 0, "lat"), (-90.5, 0, "lat"), (0, 180.01, "lng"), (math.nan, 0, "lat"),
     (0, math.inf, "lng"), ("x", 0, "lat"), (None, 0, "lat")],
)  # fmt: skip
def test_bad_coordinates_name_their_field(lat, lng, field):
    with pytest.raises(datum.InvalidCoordinate) as err:
        datum.check_coordinate(lat, lng)
    assert err.value.field == field
