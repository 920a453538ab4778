"""The grid API over the demo grid: locate, cells by bbox (paged, simplified), one cell."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from geo import datum
from geo.demo import DEMO_DISTRICT, load_demo
from geo.importer import import_grid
from tests.integration.geo.conftest import new_district, spot
from tests.unit.geo.grids import STEP, two_by_two


@pytest.fixture(scope="module")
def demo(engine):
    """Loads the demo grid; returns (district bbox, one cell code and its inner point)."""
    load_demo(engine)
    with engine.connect() as conn:
        bbox = conn.execute(
            text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
                 "FROM (SELECT ST_Extent(geom) e FROM jurisdiction WHERE code = :d) s"),
            {"d": DEMO_DISTRICT},
        ).one()  # fmt: skip
        code, lng, lat = conn.execute(
            text(
                "SELECT c.code, ST_X(ST_PointOnSurface(c.geom)), ST_Y(ST_PointOnSurface(c.geom)) "
                "FROM grid_cell c JOIN grid_version v ON v.id = c.version_id "
                "WHERE v.valid_to IS NULL AND c.district_code = :d "
                "ORDER BY c.code OFFSET 1000 LIMIT 1"
            ),
            {"d": DEMO_DISTRICT},
        ).one()
    return tuple(bbox), code.strip(), lat, lng


def error_field(resp, status):
    assert resp.status_code == status, resp.get_json()
    return resp.get_json()["error"]["field"]


def test_locate_a_point_inside_a_demo_cell(client, demo):
    _, code, lat, lng = demo
    body = client.get(f"/api/v1/grid/locate?lat={lat}&lng={lng}").get_json()
    assert body["status"] == "inside" and body["distance_m"] == 0
    assert body["cell"]["code"] == code and body["cell"]["name"].endswith("号网格")
    assert body["community"]["code"] == code[:12] and body["street"]["code"] == code[:9]
    assert body["district"] == {"code": "330211", "name": "镇海区"}


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
def test_locate_phone_coordinates_in_another_datum(client, demo, crs):
    _, code, lat, lng = demo
    shown_lat, shown_lng = datum.from_wgs84(lat, lng, crs)
    body = client.get(f"/api/v1/grid/locate?lat={shown_lat}&lng={shown_lng}&crs={crs}").get_json()
    assert body["cell"]["code"] == code and body["input"]["crs"] == crs
    assert (body["lat"], body["lng"]) == pytest.approx((lat, lng), abs=1e-8)


def test_locate_snapped_and_outside(client, engine):
    district = new_district()
    lat0, lng0 = spot(district)
    import_grid(engine, two_by_two(district, origin=(lat0, lng0)))
    lat = lat0 - 12 / 111195.08  # 12 m south of the grid
    body = client.get(f"/api/v1/grid/locate?lat={lat}&lng={lng0 + STEP / 2}").get_json()
    assert body["status"] == "snapped" and body["cell"]["code"] == f"{district}001001001"
    assert body["distance_m"] == pytest.approx(12.0, abs=0.01)
    far = client.get(f"/api/v1/grid/locate?lat={lat0 - 0.01}&lng={lng0}").get_json()
    assert far["status"] == "outside" and far["cell"] is None and far["district"] is None
    wide = client.get(f"/api/v1/grid/locate?lat={lat0 - 0.0005}&lng={lng0}&accuracy=80")
    assert wide.get_json()["status"] == "snapped"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("lng=121.6", "lat"),
        ("lat=29.9", "lng"),
        ("lat=91&lng=121.6", "lat"),
        ("lat=-90.1&lng=121.6", "lat"),
        ("lat=29.9&lng=181", "lng"),
        ("lat=NaN&lng=121.6", "lat"),
        ("lat=29.9&lng=inf", "lng"),
        ("lat=north&lng=121.6", "lat"),
        ("lat=29.9&lng=121.6&crs=utm50", "crs"),
        ("lat=29.9&lng=121.6&accuracy=-3", "accuracy"),
        ("lat=29.9&lng=121.6&accuracy=nan", "accuracy"),
        ("lat=29.9&lng=121.6&accuracy=", "accuracy"),
        ("lat=&lng=121.6", "lat"),
    ],
)
def test_locate_bad_input_names_the_field(client, query, field):
    assert error_field(client.get(f"/api/v1/grid/locate?{query}"), 400) == field


def test_cells_in_a_bbox_are_paged_geojson(client, demo):
    (x0, y0, x1, y1), *_ = demo
    url = f"/api/v1/grid/cells?bbox={x0},{y0},{x1},{y1}&limit=1000"
    codes, pages = [], 0
    while url:
        resp = client.get(url)
        assert resp.status_code == 200
        page = resp.get_json()
        assert page["type"] == "FeatureCollection" and page["count"] <= 1000
        codes += [f["properties"]["code"] for f in page["features"]]
        url, pages = page["next"], pages + 1
        assert pages < 20
    demo_codes = [c for c in codes if c.startswith(DEMO_DISTRICT)]
    assert len(demo_codes) >= 2000 and pages >= 3
    assert codes == sorted(codes) and len(set(codes)) == len(codes)
    first = client.get(f"/api/v1/grid/cells?bbox={x0},{y0},{x1},{y1}&limit=1").get_json()
    feature = first["features"][0]
    assert feature["geometry"]["type"] == "MultiPolygon"
    assert set(feature["properties"]) >= {"code", "name", "cell_id", "version", "community_code"}


def test_each_feature_is_its_cell_as_stored(client, engine, demo):
    (x0, y0, x1, y1), *_ = demo
    page = client.get(f"/api/v1/grid/cells?bbox={x0},{y0},{x1},{y1}&limit=300&zoom=17")
    features = page.get_json()["features"]
    assert len(features) == 300
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.id, c.code, c.name, c.version_id, c.community_code, c.street_code, "
                "c.district_code, ST_AsGeoJSON(ST_Multi(c.geom), 7) AS geometry "
                "FROM grid_cell c JOIN grid_version v ON v.id = c.version_id "
                "WHERE v.valid_to IS NULL AND c.code = ANY(:codes)"
            ),
            {"codes": [f["id"] for f in features]},
        ).all()
    stored = {r.code.strip(): r for r in rows}
    for feature in features:
        r = stored[feature["id"]]
        assert list(feature) == ["type", "id", "geometry", "properties"]
        assert feature["type"] == "Feature" and feature["id"] == r.code.strip()
        assert feature["geometry"] == json.loads(r.geometry)
        assert feature["properties"] == {
            "code": r.code.strip(), "name": r.name, "cell_id": r.id, "version": r.version_id,
            "community_code": r.community_code, "street_code": r.street_code,
            "district_code": r.district_code,
        }  # fmt: skip
        assert list(feature["properties"]) == [
            "code", "name", "cell_id", "version", "community_code", "street_code",
            "district_code",
        ]  # fmt: skip


def test_low_zooms_get_simplified_geometry(client, demo):
    (x0, y0, x1, y1), *_ = demo
    base = f"/api/v1/grid/cells?bbox={x0},{y0},{x1},{y1}&limit=2000"
    detail = client.get(base + "&zoom=17").get_json()
    coarse = client.get(base + "&zoom=9").get_json()
    assert not detail["simplified"] and coarse["simplified"]

    def vertices(page):
        return sum(len(json.dumps(f["geometry"]["coordinates"])) for f in page["features"])

    assert vertices(coarse) < vertices(detail)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "bbox"),
        ("bbox=121.7,29.9,121.6,30.0", "bbox"),
        ("bbox=121.6,30.0,121.7,29.9", "bbox"),
        ("bbox=120,29,122,31", "bbox"),
        ("bbox=121.6,29.9,121.7", "bbox"),
        ("bbox=121.6,29.9,121.7,nan", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox=121.6,95,121.7,96", "bbox"),
        ("bbox=121.6,29.9,121.7,30.0&zoom=30", "zoom"),
        ("bbox=121.6,29.9,121.7,30.0&zoom=x", "zoom"),
        ("bbox=121.6,29.9,121.7,30.0&limit=0", "limit"),
        ("bbox=121.6,29.9,121.7,30.0&limit=", "limit"),
        ("bbox=121.6,29.9,121.7,30.0&limit=100000", "limit"),
        ("bbox=121.6,29.9,121.7,30.0&after=12", "after"),
    ],
)
def test_cells_bad_input_names_the_field(client, query, field):
    assert error_field(client.get(f"/api/v1/grid/cells?{query}"), 400) == field


def test_one_cell_by_code(client, demo):
    _, code, _, _ = demo
    body = client.get(f"/api/v1/grid/cells/{code}").get_json()
    assert body["type"] == "Feature" and body["id"] == code
    props = body["properties"]
    assert props["current"] and props["district"] == {"code": "330211", "name": "镇海区"}
    assert 1000 < props["area_m2"] < 80000
    assert error_field(client.get("/api/v1/grid/cells/330211999999999"), 404) == "code"
    assert error_field(client.get("/api/v1/grid/cells/33021"), 400) == "code"
    assert error_field(client.get(f"/api/v1/grid/cells/{code}?version=x"), 400) == "version"


def test_a_past_version_of_a_cell_stays_reachable(client, engine):
    district = new_district()
    first = import_grid(engine, two_by_two(district, origin=spot(district)))
    doc = json.loads(two_by_two(district, origin=spot(district)))
    doc["features"][3]["properties"]["name"] = "新名字"
    second = import_grid(engine, json.dumps(doc))
    code = f"{district}001001001"
    old_id, new_id = first.written.created[district], second.written.created[district]
    now = client.get(f"/api/v1/grid/cells/{code}").get_json()["properties"]
    then = client.get(f"/api/v1/grid/cells/{code}?version={old_id}").get_json()["properties"]
    assert (now["version"], now["name"], now["current"]) == (new_id, "新名字", True)
    assert then["version"] == old_id and not then["current"] and then["valid_to"]
    assert error_field(client.get(f"/api/v1/grid/cells/{code}?version=999999"), 404) == "code"


def test_the_grid_endpoints_are_documented(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/grid/locate", "/api/v1/grid/cells", "/api/v1/grid/cells/{code}"} <= set(paths)
