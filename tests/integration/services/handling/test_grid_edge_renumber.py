"""Moving the edge two neighbours share and renumbering a cell: each checked like an import,
committed as a new grid version; an open case keeps the cell version it was assigned to,
reports placed afterwards follow the new shapes and codes, the renumbered cell's grid worker
follows it, and an edit that cannot be made is refused naming its input."""

from __future__ import annotations

from sqlalchemy import text

from geo.importer import import_grid
from tests.integration.geo.conftest import new_district, spot
from tests.unit.geo.grids import STEP, two_by_two

EDGE, RENUMBER = "/api/v1/admin/grid/edge", "/api/v1/admin/grid/renumber"
SPLIT = "/api/v1/admin/grid/split"


def _row(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).mappings().one()


def _grid(engine):
    district = new_district()
    lat0, lng0 = spot(district)
    assert import_grid(engine, two_by_two(district, origin=(lat0, lng0))).written.created
    return f"{district}001001", lat0, lng0


def _kept(engine, case) -> None:
    after = _row(engine, "SELECT cell_code, cell_id, grid_version FROM case_file WHERE id = :c",
                 c=case["id"])  # fmt: skip
    assert (after["cell_code"].strip(), after["cell_id"], after["grid_version"]) == (
        case["cell_code"].strip(), case["cell_id"], case["grid_version"])  # fmt: skip


def _placed(engine, report) -> tuple[str, int]:
    row = _row(engine, "SELECT cell_code, grid_version FROM report WHERE id = :r",
               r=report["id"])  # fmt: skip
    return row["cell_code"].strip(), row["grid_version"]


def test_a_moved_edge_changes_both_neighbours_in_a_new_version(api, engine, login, cases):
    community, lat0, lng0 = _grid(engine)
    west, east = f"{community}001", f"{community}002"
    case = cases.case("201001", east)
    _, admin = login("admin")
    edge = lng0 + STEP * 0.75  # the shared edge moves a quarter of a cell west
    body = {"cell_codes": [west, east],
            "line": [[edge, lat0 - 0.001], [edge, lat0 + STEP + 0.001]]}  # fmt: skip
    preview = api.post(EDGE, json=body, headers=admin).get_json()
    assert (preview["cells"], preview["report"]["ok"], preview["committed"]) == (
        [west, east], True, False)  # fmt: skip
    done = api.post(EDGE, json=body | {"commit": True, "note": "街巷调整"}, headers=admin)
    assert done.status_code == 200, done.get_json()
    version = done.get_json()["version"]
    areas = {
        code: _row(engine, "SELECT ST_Area(c.geom::geography) AS a FROM grid_cell c "
                   "WHERE c.code = :c AND c.version_id = :v", c=code, v=version)["a"]
        for code in (west, east)
    }  # fmt: skip
    assert 0.7 < areas[west] / areas[east] * (1.25 / 0.75) < 1.3  # 0.75 : 1.25 of the cells
    _kept(engine, case)
    # a point that was the west cell's is the east cell's now
    where = {"lat": lat0 + STEP / 2, "lng": lng0 + STEP * 0.85, "crs": "wgs84", "accuracy_m": 5}
    moved = cases.report(east, "201001", location=where)
    assert _placed(engine, moved) == (east, version)

    for change, field in (
        ({"cell_codes": [west, f"{community}004"]}, "cell_codes"),  # a corner, no edge
        ({"cell_codes": [west, "99"]}, "cell_codes[1]"),
        ({"line": [[lng0 + 1, lat0 + 1], [lng0 + 2, lat0 + 2]]}, "line"),
        ({"line": [[edge, lat0]]}, "line"),
    ):
        refused = api.post(EDGE, json=body | change, headers=admin)
        assert (refused.status_code, refused.get_json()["error"]["field"]) == (422, field), change


def test_a_renumbered_cell_keeps_its_history_and_its_worker(api, engine, login, cases):
    community, lat0, lng0 = _grid(engine)
    old, new = f"{community}004", f"{community}010"
    case = cases.case("201001", old)
    worker_id, worker = login("grid_worker", cells=(old,))
    _, admin = login("admin")
    for code, why in ((f"{community}001", "a current cell"), ("330211001001001", "community"),
                      (old, "already")):  # fmt: skip
        taken = api.post(RENUMBER, json={"cell_code": old, "new_code": code}, headers=admin)
        assert (taken.status_code, taken.get_json()["error"]["field"]) == (422, "new_code"), code
        assert why in taken.get_json()["error"]["message"]
    bad = api.post(RENUMBER, json={"cell_code": old, "new_code": "12"}, headers=admin)
    assert (bad.status_code, bad.get_json()["error"]["field"]) == (422, "new_code")

    done = api.post(RENUMBER, json={"cell_code": old, "new_code": new, "commit": True},
                    headers=admin)  # fmt: skip
    assert done.status_code == 200 and done.get_json()["cells"] == [new], done.get_json()
    version = done.get_json()["version"]
    _kept(engine, case)
    history = api.get(f"/api/v1/admin/grid/versions?district={community[:6]}", headers=admin)
    assert history.status_code == 200
    codes = _row(engine, "SELECT array_agg(trim(code) ORDER BY code) AS c FROM grid_cell "
                 "WHERE version_id = :v", v=version)["c"]  # fmt: skip
    assert new in codes and old not in codes
    old_row = _row(engine, "SELECT trim(code) AS code FROM grid_cell WHERE id = :i",
                   i=case["cell_id"])  # fmt: skip
    assert old_row["code"] == old  # the earlier version keeps the old code
    me = api.get("/api/v1/auth/me", headers=worker).get_json()
    assert me["cell_codes"] == [new] and me["user_id"] == worker_id
    report = cases.report(new, "201001")
    assert _placed(engine, report) == (new, version)
    # the old code is history: it is never given again, to this cell or another
    back = api.post(RENUMBER, json={"cell_code": new, "new_code": old}, headers=admin)
    assert (back.status_code, back.get_json()["error"]["field"]) == (422, "new_code")
    assert "earlier grid version" in back.get_json()["error"]["message"]
