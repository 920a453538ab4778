"""The gazetteer's names and files: pinyin initials and spelling, GeoJSON and CSV read, and
a file at fault named with the feature or line."""

from __future__ import annotations

import json

import pytest

from services.places.gazetteer import PlacesFileError, initials, read_places, spelled


def test_initials_and_spelling_of_chinese_names():
    assert initials("招宝山") == "zbs"
    assert initials("庄市街道") == "zsjd"
    assert initials("明海花园3期") == "mhhy3q"
    assert spelled("招宝山") == "zhaobaoshan"


def test_a_geojson_file_gives_its_named_features(tmp_path):
    path = tmp_path / "roads.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "招宝山路", "kind": "road"},
         "geometry": {"type": "LineString", "coordinates": [[121.7, 29.95], [121.71, 29.96]]}},
        {"type": "Feature", "properties": {"name": "明海花园", "kind": "compound", "code": "C1"},
         "geometry": {"type": "Point", "coordinates": [121.72, 29.97]}},
    ]}), encoding="utf-8")  # fmt: skip
    roads = read_places(path)
    assert [(p.kind, p.name, p.code) for p in roads] == [
        ("road", "招宝山路", None), ("compound", "明海花园", "C1")]  # fmt: skip
    assert json.loads(roads[0].geometry)["type"] == "LineString"


def test_a_csv_file_gives_its_rows(tmp_path):
    path = tmp_path / "pois.csv"
    path.write_text("name,lat,lng,kind\n镇海区政府,29.949,121.716,poi\n世纪广场,29.95,121.72,\n",
                    encoding="utf-8-sig")  # fmt: skip
    places = read_places(path)
    assert [(p.kind, p.name, p.lat, p.lng) for p in places] == [
        ("poi", "镇海区政府", 29.949, 121.716), ("poi", "世纪广场", 29.95, 121.72)]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [("a.csv", "name,lat,lng\n路,north,121\n", "a.csv: line 2"),
     ("b.csv", "name,lat,lng,kind\n路,29,121,river\n", "kind 'river'"),
     ("c.csv", "name,lat,lng\n ,29,121\n", "c.csv: line 2: no name"),
     ("d.geojson", '{"type": "Feature"}', "not a GeoJSON FeatureCollection"),
     ("e.geojson", '{"type": "FeatureCollection", "features": [{"properties": {"name": "x"}}]}',
      "e.geojson: feature 0: no geometry"),
     ("f.txt", "x", "a .geojson, .json or .csv file")],
)  # fmt: skip
def test_a_file_at_fault_is_named(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(PlacesFileError) as info:
        read_places(path)
    assert message in str(info.value)
