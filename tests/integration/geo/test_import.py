"""Importing grids into PostGIS: all or nothing, versions, history, NOTIFY, export."""

from __future__ import annotations

import json

import psycopg
import pytest
from sqlalchemy import text

from geo.geojson_io import feature_collection, parse_feature_collection
from geo.importer import import_grid
from geo.schema import GRID_CHANNEL
from geo.store import read_version
from tests.integration.geo.conftest import new_district, spot
from tests.unit.geo.grids import STEP, collection, feature, square, two_by_two


def count(engine, sql, **params) -> int:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def versions(engine, district):
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT id, valid_to IS NULL AS current, cell_count FROM grid_version "
                 "WHERE district_code = :d ORDER BY id"),
            {"d": district},
        ).all()  # fmt: skip


def test_an_import_creates_jurisdictions_a_version_and_cells(engine, district):
    outcome = import_grid(engine, two_by_two(district, origin=spot(district)), source="test")
    assert outcome.ok and list(outcome.written.created) == [district]
    (version,) = versions(engine, district)
    assert version.current and version.cell_count == 4
    assert count(engine, "SELECT count(*) FROM jurisdiction WHERE left(code, 6) = :d",
                 d=district) == 3  # fmt: skip
    rows = count(
        engine,
        "SELECT count(*) FROM grid_cell WHERE version_id = :v AND ST_IsValid(geom) "
        "AND ST_SRID(geom) = 4326 AND community_code = :c",
        v=version.id,
        c=district + "001001",
    )
    assert rows == 4


def test_an_unchanged_reimport_keeps_the_version(engine, district):
    import_grid(engine, two_by_two(district, origin=spot(district)))
    again = import_grid(engine, two_by_two(district, origin=spot(district)))
    assert again.written.created == {} and district in again.written.unchanged
    assert len(versions(engine, district)) == 1


def test_a_changed_grid_is_a_new_version_and_history_stays(engine, district):
    import_grid(engine, two_by_two(district, origin=spot(district)))
    with engine.connect() as conn:
        old_ids = conn.execute(
            text("SELECT id, code, ST_AsBinary(geom) FROM grid_cell c WHERE district_code = :d"),
            {"d": district},
        ).all()
    doc = json.loads(two_by_two(district, origin=spot(district)))
    doc["features"][3]["properties"]["name"] = "renamed"
    outcome = import_grid(engine, json.dumps(doc))
    new_version = outcome.written.created[district]
    old, new = versions(engine, district)
    assert not old.current and new.current and new.id == new_version
    with engine.connect() as conn:
        kept = conn.execute(
            text("SELECT id, code, ST_AsBinary(geom) FROM grid_cell WHERE version_id = :v"),
            {"v": old.id},
        ).all()
    assert sorted(kept) == sorted(old_ids)  # the old version's rows are untouched
    with engine.connect() as conn:
        version_id, current = read_version(conn, district)
        assert version_id == new.id
        _, previous = read_version(conn, district, old.id)
    assert [c.name for c in current.cells][0] == "renamed"
    assert [c.name for c in previous.cells][0] != "renamed"


def test_a_file_with_one_bad_feature_writes_nothing(engine, district):
    doc = json.loads(two_by_two(district, origin=spot(district)))
    doc["features"][5]["geometry"]["coordinates"] = []
    outcome = import_grid(engine, json.dumps(doc))
    assert not outcome.ok and outcome.written is None
    assert [p.feature for p in outcome.report.errors] == ["features[5]"]
    assert count(engine, "SELECT count(*) FROM jurisdiction WHERE left(code, 6) = :d",
                 d=district) == 0  # fmt: skip
    assert versions(engine, district) == []


def test_overlaps_refuse_the_import_and_the_report_comes_first(engine, district):
    seen = []
    outcome = import_grid(
        engine, two_by_two(district, shift_m=20, origin=spot(district)), on_report=seen.append
    )
    assert seen == [outcome.report] and not outcome.ok
    assert [p.kind for p in outcome.report.errors] == ["overlap"]
    assert count(engine, "SELECT count(*) FROM jurisdiction WHERE code = :d", d=district) == 0


def test_strict_refuses_gaps_and_dry_run_writes_nothing(engine, district):
    doc = json.loads(two_by_two(district, origin=spot(district)))
    del doc["features"][-1]  # a gap in the community
    text_ = json.dumps(doc)
    strict = import_grid(engine, text_, strict=True)
    assert strict.report.ok and strict.written is None
    assert [p.kind for p in strict.report.warnings] == ["gap"]
    dry = import_grid(engine, two_by_two(district, origin=spot(district)), dry_run=True)
    assert dry.ok and dry.written is None
    assert versions(engine, district) == []
    assert import_grid(engine, text_).written.created


def test_cells_may_join_communities_already_in_the_database(engine, district):
    import_grid(engine, two_by_two(district, origin=spot(district)))
    lat0, lng0 = spot(district)
    cell = feature(f"{district}001001009", "cell", square(5, 5, lng0, lat0))
    outcome = import_grid(engine, collection(cell))
    assert outcome.ok, outcome.report.format_text()
    # the file carries the district's whole grid: the new version has just this one cell
    assert versions(engine, district)[-1].cell_count == 1
    orphan = feature(f"{district}002001001", "cell", square(7, 7, lng0, lat0))
    refused = import_grid(engine, collection(orphan))
    assert [p.kind for p in refused.report.errors] == ["unknown_parent"]


def test_a_commit_notifies_listeners(engine, config, district):
    conninfo = config.database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as listener:
        listener.execute(f"LISTEN {GRID_CHANNEL}")
        outcome = import_grid(engine, two_by_two(district, origin=spot(district)))
        got = list(listener.notifies(timeout=2, stop_after=1))
    assert [n.payload for n in got] == [str(outcome.written.created[district])]


def test_export_reimports_as_unchanged(engine, district):
    import_grid(engine, two_by_two(district, origin=spot(district)))
    with engine.connect() as conn:
        version, grid = read_version(conn, district)
    exported = json.dumps(feature_collection(grid.jurisdictions.values(), grid.cells, version))
    parsed, report = parse_feature_collection(exported)
    assert report.ok and len(parsed.cells) == 4
    again = import_grid(engine, exported)
    assert again.written.unchanged == {district: version}


def test_gcj02_import_stores_wgs84(engine, district):
    from geo import datum

    lat0, lng0 = spot(district)
    lat, lng = datum.from_wgs84(lat0, lng0, "gcj02")
    ring = [[lng, lat], [lng + STEP, lat], [lng + STEP, lat + STEP], [lng, lat + STEP], [lng, lat]]
    street, community = district + "001", district + "001001"
    text_ = collection(
        feature(district, "district", square(0, 0, lng0, lat0)),
        feature(street, "street", square(0, 0, lng0, lat0)),
        feature(community, "community", square(0, 0, lng0, lat0)),
        feature(community + "001", "cell", {"type": "Polygon", "coordinates": [ring]}),
    )
    outcome = import_grid(engine, text_, crs="gcj02", gap_tolerance_m2=50.0)
    assert outcome.ok, outcome.report.format_text()
    with engine.connect() as conn:
        x, y = conn.execute(
            text("SELECT ST_X(ST_PointN(ST_ExteriorRing(ST_GeometryN(geom, 1)), 1)), "
                 "ST_Y(ST_PointN(ST_ExteriorRing(ST_GeometryN(geom, 1)), 1)) "
                 "FROM grid_cell WHERE code = :c"),
            {"c": community + "001"},
        ).one()  # fmt: skip
    assert (y, x) == pytest.approx((lat0, lng0), abs=1e-8)


def test_cells_overlapping_another_districts_grid_are_refused(engine, district):
    import_grid(engine, two_by_two(district, origin=spot(district)))
    other = new_district()
    outcome = import_grid(engine, two_by_two(other, origin=spot(district)))
    assert not outcome.ok and outcome.written is None
    assert {p.kind for p in outcome.report.errors} == {"overlap"}
    assert "of another district's current grid" in outcome.report.errors[0].message
