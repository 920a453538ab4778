"""`gridflow grid …` against the real database: import, export, generate, load-demo."""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from geo.cli import grid
from geo.demo import DEMO_DISTRICT
from tests.integration.geo.conftest import spot
from tests.unit.geo.grids import two_by_two


@pytest.fixture()
def app_url(config) -> str:
    """The commands connect as the run's login role in gridflow_app, as every process does."""
    return config.database_url


def run(app_url, *args):
    result = CliRunner().invoke(grid, [*args, "--database-url", app_url])
    return result


def test_import_prints_the_report_and_writes(app_url, district, tmp_path):
    path = tmp_path / "grid.geojson"
    path.write_text(two_by_two(district, origin=spot(district)), encoding="utf-8")
    result = run(app_url, "import", str(path), "--no-progress")
    assert result.exit_code == 0, result.output
    assert "7 features, 4 cells, 3 jurisdictions: 0 errors, 0 warnings" in result.output
    assert f"district {district}: new grid version" in result.output
    again = run(app_url, "import", str(path))
    assert f"district {district}: unchanged" in again.output


def test_a_malformed_file_says_what_and_where_and_writes_nothing(
    engine, app_url, district, tmp_path
):
    doc = json.loads(two_by_two(district, origin=spot(district)))
    doc["features"][4]["properties"]["code"] = "12"
    doc["features"][5]["geometry"]["coordinates"][0][0].pop()  # an unclosed ring
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    report = tmp_path / "report.json"
    result = run(app_url, "import", str(path), "--report-json", str(report))
    assert result.exit_code == 1
    assert "features[4]" in result.output and "a cell code has 15 digits" in result.output
    assert "features[5]" in result.output and "is not closed" in result.output
    assert "nothing was written" in result.output
    problems = json.loads(report.read_text())["problems"]
    assert [p["feature"] for p in problems] == ["features[4]", "features[5]"]
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM jurisdiction WHERE code = :d"), {"d": district})
        assert n.scalar_one() == 0

    path.write_text("{not json", encoding="utf-8")
    result = run(app_url, "import", str(path))
    assert (
        result.exit_code == 1 and "not JSON" in result.output and "line 1 column 2" in result.output
    )


def test_repair_and_dry_run(app_url, district, tmp_path):
    doc = json.loads(two_by_two(district, origin=spot(district)))
    doc["features"][5]["geometry"]["coordinates"][0][0].pop()
    path = tmp_path / "unclosed.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    dry = run(app_url, "import", str(path), "--repair", "--dry-run")
    assert (
        dry.exit_code == 0 and "WARNING repaired" in dry.output and "nothing written" in dry.output
    )
    done = run(app_url, "import", str(path), "--repair")
    assert done.exit_code == 0 and "new grid version" in done.output


def test_export_then_import_is_unchanged(app_url, district, tmp_path):
    src = tmp_path / "grid.geojson"
    src.write_text(two_by_two(district, origin=spot(district)), encoding="utf-8")
    assert run(app_url, "import", str(src)).exit_code == 0
    out = tmp_path / "export.geojson"
    result = run(app_url, "export", "--district", district, "-o", str(out))
    assert result.exit_code == 0, result.output
    exported = json.loads(out.read_text())
    assert len([f for f in exported["features"] if f["properties"]["level"] == "cell"]) == 4
    assert f"district {district}: unchanged" in run(app_url, "import", str(out)).output
    missing = run(app_url, "export", "--district", "999999")
    assert missing.exit_code == 1 and "no such grid version" in missing.output


def test_generate_writes_geojson_and_loads(app_url, district, tmp_path):
    lat, lng = spot(district)
    boundary = tmp_path / "boundary.geojson"
    ring = [
        [lng, lat],
        [lng + 0.02, lat],
        [lng + 0.02, lat + 0.015],
        [lng, lat + 0.015],
        [lng, lat],
    ]
    boundary.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": district, "name": "生成区"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}), encoding="utf-8")  # fmt: skip
    out = tmp_path / "cells.geojson"
    result = run(app_url, "generate", "--boundary", str(boundary), "--shape", "hex",
                 "--size", "150", "-o", str(out), "--load")  # fmt: skip
    assert result.exit_code == 0, result.output
    cells = [
        f for f in json.loads(out.read_text())["features"] if f["properties"]["level"] == "cell"
    ]
    assert len(cells) > 50 and all(f["properties"]["code"].startswith(district) for f in cells)
    assert "new grid version" in result.output
    # a district already in the database can be re-cut from its stored boundary
    again = run(app_url, "generate", "--district", district, "--size", "300", "--load")
    assert again.exit_code == 0 and "new grid version" in again.output
    unknown = run(app_url, "generate", "--district", "999998")
    assert unknown.exit_code == 1 and "no boundary" in unknown.output


def test_load_demo_is_quick_and_idempotent(engine, app_url):
    started = time.perf_counter()
    first = run(app_url, "load-demo")
    elapsed = time.perf_counter() - started
    assert first.exit_code == 0, first.output
    second = run(app_url, "load-demo")
    assert second.exit_code == 0 and "already" in second.output
    with engine.connect() as conn:
        cells, streets, communities = conn.execute(
            text(
                "SELECT count(*), count(DISTINCT street_code), count(DISTINCT community_code) "
                "FROM grid_cell c JOIN grid_version v ON v.id = c.version_id "
                "WHERE v.valid_to IS NULL AND c.district_code = :d"
            ),
            {"d": DEMO_DISTRICT},
        ).one()
    assert cells >= 2000 and streets >= 5 and communities >= 100
    print(f"demo grid: {cells} cells, load {elapsed:.2f} s")
