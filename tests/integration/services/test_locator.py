"""The Locator: datums, accuracy, and reloading its index when a grid version is committed."""

from __future__ import annotations

import json
import time

import pytest

from geo import datum
from geo.importer import import_grid
from services.locator import InvalidAccuracy, Locator
from tests.integration.geo.conftest import new_district
from tests.unit.geo.grids import LAT0, LNG0, STEP, two_by_two

# Away from the other tests' grids: each test moves the 2 × 2 test grid east by its own shift.


def shifted_grid(district: str, shift: float) -> str:
    doc = json.loads(two_by_two(district))
    for f in doc["features"]:
        for poly in f["geometry"]["coordinates"]:
            for ring in poly:
                for p in ring:
                    p[0] += shift
    return json.dumps(doc)


@pytest.fixture()
def locator(engine):
    loc = Locator(engine, snap_distance_m=30.0)
    yield loc
    loc.close()


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_the_index_reloads_when_a_grid_is_imported(engine, locator):
    shift = 0.5
    lat, lng = LAT0 + STEP / 2, LNG0 + shift + STEP / 2
    assert locator.locate(lat, lng).status == "outside"
    district = new_district()
    version = import_grid(engine, shifted_grid(district, shift)).written.created[district]
    assert wait_for(lambda: locator.locate(lat, lng).status == "inside")
    placement = locator.locate(lat, lng)
    assert placement.cell_code == f"{district}001001001" and placement.grid_version == version
    assert locator.names(placement)["district"] == f"district {district}"

    # a new version of the same district is picked up too, with the new cell row
    doc = json.loads(shifted_grid(district, shift))
    doc["features"][3]["properties"]["name"] = "renamed"
    newer = import_grid(engine, json.dumps(doc)).written.created[district]
    assert wait_for(lambda: locator.locate(lat, lng).grid_version == newer)
    assert locator.locate(lat, lng).cell_id != placement.cell_id
    assert locator.names(locator.locate(lat, lng))["cell"] == "renamed"


def test_gcj02_input_is_converted_before_locating(engine, locator):
    shift = 0.51
    district = new_district()
    import_grid(engine, shifted_grid(district, shift))
    lat, lng = LAT0 + STEP * 0.5, LNG0 + shift + STEP * 0.5  # centre of cell 001 in WGS84
    shown = datum.from_wgs84(lat, lng, "gcj02")  # what a phone map would report there
    assert locator.locate(*shown, crs="gcj02").cell_code == f"{district}001001001"
    p = locator.locate(*shown, crs="gcj02")
    assert (p.lat, p.lng) == pytest.approx((lat, lng), abs=1e-8)
    # read as WGS84 the same numbers are ~500 m off: not this cell
    assert locator.locate(*shown).cell_code != f"{district}001001001"


def test_gps_accuracy_widens_the_snap_radius_up_to_a_cap(engine, locator):
    shift = 0.52
    district = new_district()
    import_grid(engine, shifted_grid(district, shift))
    lat = LAT0 - 50 / 111195.08  # 50 m south of the grid
    lng = LNG0 + shift + STEP / 2
    assert locator.locate(lat, lng).status == "outside"
    assert locator.locate(lat, lng, accuracy_m=60).status == "snapped"
    assert locator.locate(lat, lng, accuracy_m=10).status == "outside"
    far = LAT0 - 150 / 111195.08
    assert locator.locate(far, lng, accuracy_m=500).status == "outside"  # capped at 100 m


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"lat": 95.0}, datum.InvalidCoordinate, "lat"),
        ({"lng": float("nan")}, datum.InvalidCoordinate, "lng"),
        ({"crs": "utm"}, datum.UnknownDatum, None),
        ({"accuracy_m": -1}, InvalidAccuracy, "accuracy"),
        ({"accuracy_m": float("inf")}, InvalidAccuracy, "accuracy"),
    ],
)
def test_bad_input_raises_typed_errors(locator, kwargs, error, field):
    args = {"lat": 30.0, "lng": 121.0, **kwargs}
    with pytest.raises(error) as err:
        locator.locate(args.pop("lat"), args.pop("lng"), **args)
    assert isinstance(err.value, ValueError)
    if field:
        assert err.value.field == field


def test_an_unreachable_database_is_a_typed_error(database_url):
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from services.locator import GridUnavailable

    missing = make_url(database_url).set(database="gridflow_no_such_database")
    engine = create_engine(missing)
    loc = Locator(engine)
    try:
        with pytest.raises(GridUnavailable):
            loc.locate(30.0, 121.0)
    finally:
        loc.close()
        engine.dispose()
