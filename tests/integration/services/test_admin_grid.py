"""The grid for admins: a GeoJSON file checked by the importer (its report, with where each
problem is, before anything is written), committed only when clean as a new version under the
admin's name, listed in the history and exported back."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import text

from tests.integration.geo.conftest import new_district, spot
from tests.integration.services.accounts import signed_in
from tests.unit.geo.grids import two_by_two

GRID = "/api/v1/admin/grid"


@pytest.fixture()
def admin(client, engine):
    return signed_in(client, engine, "admin")[1]


def _upload(client, admin, doc: str, commit: bool):
    form = {"file": (io.BytesIO(doc.encode()), "grid.geojson"), "commit": str(commit).lower()}
    return client.post(f"{GRID}/import", headers=admin, content_type="multipart/form-data",
                       data=form)  # fmt: skip


def _versions(engine, district: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM grid_version WHERE district_code = :d"), {"d": district}
        ).scalar_one()


def test_a_bad_grid_is_reported_with_places_and_never_written(client, engine, admin):
    district = new_district()
    doc = two_by_two(district, shift_m=20, origin=spot(district))
    preview = _upload(client, admin, doc, commit=False)
    assert preview.status_code == 200
    report = preview.get_json()["report"]
    assert report["ok"] is False and {p["kind"] for p in report["problems"]} == {"overlap"}
    assert all("lat" in p and "lng" in p for p in report["problems"])
    refused = _upload(client, admin, doc, commit=True)
    assert (refused.status_code, refused.get_json()["committed"]) == (422, False)
    assert _versions(engine, district) == 0


def test_a_clean_grid_is_checked_then_committed_listed_and_exported(client, engine, admin):
    district = new_district()
    doc = two_by_two(district, origin=spot(district))
    preview = _upload(client, admin, doc, commit=False).get_json()
    assert preview["report"]["ok"] and preview["report"]["cells"] == 4
    assert (preview["committed"], _versions(engine, district)) == (False, 0)

    done = _upload(client, admin, doc, commit=True)
    assert done.status_code == 200 and done.get_json()["committed"] is True
    version = done.get_json()["created"][district]
    listed = client.get(f"{GRID}/versions", headers=admin).get_json()["items"]
    mine = next(v for v in listed if v["id"] == version)
    assert (mine["district_code"], mine["current"], mine["source"], mine["cell_count"]) == (
        district, True, "admin", 4)  # fmt: skip
    me = client.get("/api/v1/auth/me", headers=admin).get_json()["username"]
    trail = client.get("/api/v1/audit", query_string={"object": f"grid_version:{version}"},
                       headers=admin).get_json()["items"]  # fmt: skip
    assert trail[0]["actor"] == me

    exported = client.get(f"{GRID}/export", query_string={"district": district}, headers=admin)
    cells = [f for f in exported.get_json()["features"] if f["properties"]["level"] == "cell"]
    assert len(cells) == 4 and {f["properties"]["version"] for f in cells} == {version}
    ghost = client.get(f"{GRID}/export", query_string={"district": new_district()},
                       headers=admin)  # fmt: skip
    assert (ghost.status_code, ghost.get_json()["error"]["field"]) == (404, "version")
    bad = client.get(f"{GRID}/export", query_string={"district": "33"}, headers=admin)
    assert (bad.status_code, bad.get_json()["error"]["field"]) == (422, "district")
    missing = client.post(f"{GRID}/import", headers=admin, data={})
    assert (missing.status_code, missing.get_json()["error"]["field"]) == (400, "file")
