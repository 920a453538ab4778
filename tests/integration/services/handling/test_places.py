"""The gazetteer: `gridflow places import FILE` (CSV or GeoJSON) with the grid's
jurisdictions and cells, searched by the operator's hotline form by pinyin initials, spelling
or name."""

from __future__ import annotations

import json
import uuid

from click.testing import CliRunner
from pypinyin import Style, lazy_pinyin
from sqlalchemy import text

from streams.cli import main
from tests.processes import config_env


def _import(config, path):
    return CliRunner().invoke(main, ["places", "import", str(path)], env=config_env(config))


def _find(api, headers, q):
    resp = api.get("/api/v1/operator/hotline/places", headers=headers, query_string={"q": q})
    assert resp.status_code == 200, resp.get_json()
    return [(p["kind"], p["name"]) for p in resp.get_json()["items"]]


def test_imported_places_and_the_grid_are_found_by_initials_and_name(
    api, login, config, engine, demo, tmp_path
):
    mark = uuid.uuid4().hex[:6]
    csv_file = tmp_path / f"pois-{mark}.csv"
    csv_file.write_text(f"name,lat,lng,kind\n招宝山{mark}号,29.96,121.71,poi\n", encoding="utf-8")
    geojson = tmp_path / f"roads-{mark}.geojson"
    geojson.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": f"庄市大道{mark}", "kind": "road"},
         "geometry": {"type": "LineString", "coordinates": [[121.6, 29.9], [121.62, 29.92]]}},
    ]}), encoding="utf-8")  # fmt: skip
    for path in (csv_file, geojson):
        result = _import(config, path)
        assert result.exit_code == 0, result.output
        assert result.output.startswith(f"1 places from {path.name}, ")
    operator = login("operator", jurisdiction="330211")[1]
    assert ("poi", f"招宝山{mark}号") in _find(api, operator, f"zbs{mark}")
    assert ("poi", f"招宝山{mark}号") in _find(api, operator, f"zhaobaoshan{mark}")
    assert ("road", f"庄市大道{mark}") in _find(api, operator, f"大道{mark}")
    query = {"q": f"大道{mark}"}
    found = api.get("/api/v1/operator/hotline/places", headers=operator, query_string=query)
    road = found.get_json()["items"][0]
    assert 29.9 <= road["lat"] <= 29.92 and 121.6 <= road["lng"] <= 121.62

    with engine.connect() as conn:
        street = conn.execute(
            text("SELECT name FROM jurisdiction WHERE level = 'street' ORDER BY code LIMIT 1")
        ).scalar_one()
    letters = "".join(lazy_pinyin(street, style=Style.FIRST_LETTER)).lower()
    assert ("street", street) in _find(api, operator, letters)

    again = _import(config, csv_file)  # the same file again replaces its places
    assert again.exit_code == 0
    assert _find(api, operator, f"zbs{mark}").count(("poi", f"招宝山{mark}号")) == 1


def test_a_bad_file_or_query_is_named(api, login, config, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,lat,lng\n路,north,121\n", encoding="utf-8")
    result = _import(config, bad)
    assert result.exit_code == 1 and "bad.csv: line 2" in result.output
    operator = login("operator", jurisdiction="330211")[1]
    resp = api.get("/api/v1/operator/hotline/places", headers=operator, query_string={"q": " "})
    assert resp.status_code == 422 and resp.get_json()["error"]["field"] == "q"
