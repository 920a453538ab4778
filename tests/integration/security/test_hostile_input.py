"""Hostile input: markup in stored text stays data (and pages may run only their own scripts),
SQL metacharacters change nothing, image bombs and mislabelled files are refused on every
upload path, JSON built to exhaust the parser is refused early, and GeoJSON with
self-intersections, NaN, huge coordinates or too many vertices is refused by the import with
a message naming the feature."""

from __future__ import annotations

import io
import json
import re
import uuid
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import text

from tests.integration.security.world import World, jpeg

ROOT = Path(__file__).resolve().parents[3]
MARKUP = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">"\'&'
SQL = "'; DROP TABLE report; -- \" OR 1=1 %_\\ $$ `"


@pytest.fixture(scope="module")
def world(security_app, engine, demo):
    from tests.integration.services.accounts import signed_in

    api = security_app.test_client()
    return World(api, engine, lambda role, **scope: signed_in(api, engine, role, **scope))


# --- markup ----------------------------------------------------------------------------------


def test_every_page_and_answer_carries_a_policy_that_forbids_inline_script(api):
    for path in ("/", "/console", "/m/", "/api/v1/docs"):
        resp = api.get(path)
        assert resp.status_code == 200, path
        policy = resp.headers["Content-Security-Policy"]
        script = re.search(r"script-src ([^;]*)", policy).group(1)
        assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, path
        assert "object-src 'none'" in policy or "default-src 'none'" in policy, path
        assert "frame-ancestors 'none'" in policy
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    for path in ("/api/v1/openapi.json", "/healthz", "/api/v1/categories"):
        resp = api.get(path)
        assert resp.headers["Content-Security-Policy"].startswith("default-src 'none'"), path
        assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_the_docs_page_runs_only_its_own_inline_script(api):
    import base64
    import hashlib

    resp = api.get("/api/v1/docs")
    page = resp.get_data(as_text=True)
    [script] = re.findall(r"<script>(.*?)</script>", page, re.S)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in resp.headers["Content-Security-Policy"]


SINKS = re.compile(
    r"\.innerHTML\s*[+]?=|\.outerHTML\s*=|insertAdjacentHTML|document\.write|\beval\(|"
    r"new Function\(|setTimeout\(\s*['\"`]|\.bindPopup\(\s*[`'\"]|html\s*:\s*[`'\"]"
)


def test_page_scripts_never_turn_text_into_markup():
    """Every page builds its DOM from text nodes (`textContent`, gf.el(..., {text})): no
    script of ours has a sink that would parse stored text as HTML."""
    sources = [
        p
        for folder in ("services/web/static/js", "services/mobile_web/static/js")
        for p in (ROOT / folder).glob("*.js")
    ]
    sources += [ROOT / "services/mobile_web/sw.js"]
    assert len(sources) > 10
    found = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in sources
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if SINKS.search(line)
    ]
    assert found == []


def test_stored_markup_and_sql_come_back_as_the_same_text(world):
    thing = world.report()
    api, h = world.api, world.headers
    text_ = MARKUP + SQL
    resp = api.post(f"/api/v1/operator/reports/{thing.report_id}/moderate", headers=h["admin"],
                    json={"redacted": False, "reason": text_})  # fmt: skip
    assert resp.status_code == 200, resp.get_json()
    resp = api.post(f"/api/v1/department/cases/{thing.case_id}/return", headers=h["staff_own"],
                    json={"reason": text_})  # fmt: skip
    assert resp.status_code == 200, resp.get_json()
    shown = api.get(f"/api/v1/operator/cases/{thing.case_id}", headers=h["admin"])
    assert shown.mimetype == "application/json"
    returned = [e for e in shown.get_json()["timeline"] if e["type"] == "CaseReturned"]
    assert returned and json.dumps(returned[0]).count(json.dumps(text_)[1:-1]) == 1

    body = {
        "id": str(uuid.uuid4()),
        "category": "201001",
        "description": text_,
        "location": {"lat": 29.96, "lng": 121.71, "crs": "wgs84"},
        "occurred_at": "2025-01-01T00:00:00+08:00",
    }
    from tests.integration.services.handling.loop import cell_point

    lat, lng = cell_point(world.engine, world.cases.fresh_cell("330211009"))
    body["location"].update(lat=lat, lng=lng)
    resp = api.post("/api/v1/reports", json=body, headers=h["gw_own"])
    if resp.status_code == 201:
        assert resp.get_json()["description"] == text_
        again = api.get(f"/api/v1/reports/{body['id']}", headers=h["admin"]).get_json()
        assert again["description"] == text_
    else:  # a report outside the worker's cells may be refused; never for its text
        assert resp.get_json()["error"]["field"] != "description"


def test_sql_metacharacters_in_filters_and_credentials_change_nothing(world, engine):
    api, h = world.api, world.headers
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM report")).scalar_one()
    for value in ("%", "_", "' OR '1'='1", SQL, "case:%", "\\"):
        for name in ("object", "actor", "action"):
            resp = api.get("/api/v1/audit", query_string={name: value}, headers=h["admin"])
            assert resp.status_code in (200, 422), (name, value)
            if resp.status_code == 200:
                assert resp.get_json()["items"] == [], (name, value)
        login = api.post("/api/v1/auth/login", json={"username": value, "password": value})
        assert login.status_code in (401, 422)
        for path, params in (
            ("/api/v1/operator/cases", {"queue": value}),
            ("/api/v1/department/cases", {"category": value}),
            (
                "/api/v1/stats/jurisdictions",
                {"from": "2025-01-01", "to": "2025-01-31", "within": value},
            ),  # fmt: skip
            ("/api/v1/grid/cells", {"bbox": value}),
            ("/api/v1/grid/cells/" + value.replace("/", ""), {}),
            ("/open311/v2/requests.json", {"service_code": value, "status": value}),
        ):
            headers = h["staff_own"] if path.startswith("/api/v1/department") else h["admin"]
            resp = api.get(path, query_string=params, headers=headers)
            assert resp.status_code < 500, (path, value, resp.status_code)
            assert resp.status_code in (200, 400, 404, 422), (path, value, resp.status_code)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM report")).scalar_one() == before


# --- files -----------------------------------------------------------------------------------


def _png_bomb() -> bytes:
    out = io.BytesIO()
    Image.new("1", (30_000, 30_000)).save(out, "PNG")  # 900 megapixels in a few hundred KB
    return out.getvalue()


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "GIF")
    return out.getvalue()


BAD_FILES = {
    "bomb": (_png_bomb, "image/png", "bomb.png"),
    "text as jpeg": (lambda: b"not an image at all" * 50, "image/jpeg", "a.jpg"),
    "gif as jpeg": (_gif, "image/jpeg", "a.jpg"),
    "svg with script": (
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "image/svg+xml",
        "a.svg",
    ),  # fmt: skip
    "truncated jpeg": (lambda: jpeg()[:200], "image/jpeg", "a.jpg"),
    "html as png": (lambda: b"<html><script>alert(1)</script></html>", "image/png", "a.png"),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_files_are_refused_on_every_upload_path(world, kind):
    make, media_type, name = BAD_FILES[kind]
    data = make()
    api, h = world.api, world.headers

    def part():
        return (io.BytesIO(data), name, media_type)

    from tests.integration.services.handling.loop import cell_point

    cell = world.cases.fresh_cell("330211009")
    lat, lng = cell_point(world.engine, cell)
    _, worker = world.cases.worker(cell)
    report = {
        "id": str(uuid.uuid4()), "category": "201001", "description": "x",
        "location": {"lat": lat, "lng": lng, "crs": "wgs84"},
        "occurred_at": "2025-01-01T00:00:00+08:00", "handled_on_spot": True,
    }  # fmt: skip
    good = (io.BytesIO(jpeg()), "ok.jpg", "image/jpeg")
    attempts = {
        "photos": {"report": json.dumps(report), "photos": part(), "after_photo": good},
        "after_photo": {
            "report": json.dumps({**report, "id": str(uuid.uuid4())}),
            "photos": (io.BytesIO(jpeg()), "ok.jpg", "image/jpeg"),
            "after_photo": part(),
        },
    }
    for field, form in attempts.items():
        resp = api.post("/api/v1/reports", data=form, headers=worker,
                        content_type="multipart/form-data")  # fmt: skip
        assert resp.status_code in (413, 415, 422), (field, resp.get_json())
        assert resp.get_json()["error"]["field"].startswith(field), resp.get_json()

    acknowledged = world.acknowledged()
    resp = api.post(f"/api/v1/department/cases/{acknowledged.case_id}/resolve",
                    data={"note": "ok", "photo": part()}, headers=h["staff_own"],
                    content_type="multipart/form-data")  # fmt: skip
    assert resp.status_code in (413, 415, 422), resp.get_json()
    assert resp.get_json()["error"]["field"].startswith("photo")


# --- JSON ------------------------------------------------------------------------------------


def test_json_nested_or_sized_to_exhaust_memory_is_refused_early(world):
    api, h = world.api, world.headers
    deep = "[" * 5_000 + "]" * 5_000  # 10 KB, deeper than the parser's recursion limit
    deep_object = '{"a":' * 50 + "1" + "}" * 50
    for body in (deep, deep_object):
        for path, headers in (
            ("/api/v1/reports", h["gw_own"]),
            ("/api/v1/auth/login", {}),
            ("/api/v1/admin/rules", h["admin"]),
            ("/api/v1/patrol/pings", h["gw_own"]),
        ):
            resp = api.post(path, data=body, content_type="application/json", headers=headers)
            assert resp.status_code == 400, (path, resp.status_code)
            assert resp.get_json()["error"]["field"] == "body"
    multipart = {"report": deep, "photos": (io.BytesIO(jpeg()), "a.jpg", "image/jpeg")}
    resp = api.post("/api/v1/reports", data=multipart, headers=h["gw_own"],
                    content_type="multipart/form-data")  # fmt: skip
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "report"
    huge = json.dumps({"rules": [{"category_code": "201001"}] * 200_000})
    resp = api.post("/api/v1/admin/rules", data=huge, content_type="application/json",
                    headers=h["admin"])  # fmt: skip
    assert resp.status_code == 413
    open311 = api.post("/open311/v2/requests.json", data=deep, content_type="application/json")
    assert open311.status_code in (400, 401, 403)


# --- GeoJSON ---------------------------------------------------------------------------------


def _collection(*geometries) -> str:
    features = [
        {
            "type": "Feature",
            "properties": {"code": f"990101001001{i:03d}", "name": f"c{i}", "level": "cell"},
            "geometry": geometry,
        }
        for i, geometry in enumerate(geometries, 1)
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, allow_nan=True)


def _square(x=121.0, y=29.0, d=0.001):
    return [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]


GEOJSON = {
    "self-intersection": (
        {
            "type": "Polygon",
            "coordinates": [[[121, 29], [121.01, 29.01], [121.01, 29], [121, 29.01], [121, 29]]],
        },  # fmt: skip
        "Self-intersection",
    ),
    "NaN": ({"type": "Polygon", "coordinates": [[[float("nan"), 29], *_square()[1:]]]}, "finite"),
    "huge coordinates": (
        {"type": "Polygon", "coordinates": [[[1e300, 29], *_square()[1:]]]},
        "outside",
    ),
    "millions of vertices": (
        {"type": "Polygon", "coordinates": [[[121 + i * 1e-9, 29] for i in range(1_000_000)]]},
        "vertices",
    ),
}


@pytest.mark.parametrize("kind", sorted(GEOJSON))
def test_the_grid_import_refuses_broken_geometry_with_a_clear_message(config, tmp_path, kind):
    from click.testing import CliRunner

    from streams.cli import main
    from tests.processes import config_env

    geometry, words = GEOJSON[kind]
    path = tmp_path / "grid.geojson"
    path.write_text(_collection({"type": "Polygon", "coordinates": [_square(121.1)]}, geometry))
    result = CliRunner().invoke(main, ["grid", "import", str(path), "--no-progress"],
                                env=config_env(config))  # fmt: skip
    assert result.exit_code != 0
    assert "nothing was written" in result.output
    assert words in result.output and "990101001001002" in result.output, result.output


def test_the_grid_import_refuses_a_file_nested_too_deeply(config, tmp_path):
    from click.testing import CliRunner

    from streams.cli import main
    from tests.processes import config_env

    path = tmp_path / "deep.geojson"
    path.write_text("[" * 200_000 + "]" * 200_000)
    result = CliRunner().invoke(main, ["grid", "import", str(path), "--no-progress"],
                                env=config_env(config))  # fmt: skip
    assert result.exit_code != 0 and "nested too deeply" in result.output, result.output
