"""Splitting a cell with an open case: the case stays on the cell version it was assigned to,
and reports placed afterwards land in the new cells; a merge is checked the same way, and an
edit that cannot be made is refused naming its input."""

from __future__ import annotations

from sqlalchemy import text

from geo.importer import import_grid
from tests.integration.geo.conftest import new_district, spot
from tests.unit.geo.grids import STEP, two_by_two

SPLIT, MERGE = "/api/v1/admin/grid/split", "/api/v1/admin/grid/merge"


def _row(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).mappings().one()


def test_a_split_keeps_the_open_case_on_its_cell_version_and_new_reports_go_to_new_cells(
    api, engine, login, cases
):
    district = new_district()
    lat0, lng0 = spot(district)
    assert import_grid(engine, two_by_two(district, origin=(lat0, lng0))).written.created
    community = f"{district}001001"
    cell = f"{community}001"
    case = cases.case("201001", cell)
    assert case["state"] not in ("closed", "rejected", "merged")
    assert case["cell_code"].strip() == cell
    _, admin = login("admin")

    middle = lng0 + STEP / 2
    line = [[middle, lat0 - 0.001], [middle, lat0 + STEP + 0.001]]
    preview = api.post(SPLIT, json={"cell_code": cell, "line": line}, headers=admin).get_json()
    assert preview["report"]["ok"] and not preview["committed"]
    done = api.post(SPLIT, json={"cell_code": cell, "line": line, "commit": True}, headers=admin)
    assert done.status_code == 200, done.get_json()
    west, east = done.get_json()["cells"]
    assert (west, east) == (f"{community}005", f"{community}006")
    version = done.get_json()["version"]

    after = _row(engine, "SELECT cell_code, cell_id, grid_version FROM case_file WHERE id = :c",
                 c=case["id"])  # fmt: skip
    assert (after["cell_code"].strip(), after["cell_id"], after["grid_version"]) == (
        cell, case["cell_id"], case["grid_version"])  # fmt: skip
    old_cell = _row(engine, "SELECT c.version_id, v.valid_to FROM grid_cell c JOIN grid_version "
                    "v ON v.id = c.version_id WHERE c.id = :i", i=case["cell_id"])  # fmt: skip
    assert old_cell["version_id"] == case["grid_version"] and old_cell["valid_to"] is not None

    report = cases.report(west, "201001")
    placed = _row(engine, "SELECT cell_code, grid_version FROM report WHERE id = :r",
                  r=report["id"])  # fmt: skip
    assert (placed["cell_code"].strip(), placed["grid_version"]) == (west, version)


def test_a_merge_is_checked_and_impossible_edits_are_refused(api, engine, login):
    district = new_district()
    lat0, lng0 = spot(district)
    import_grid(engine, two_by_two(district, origin=(lat0, lng0)))
    community = f"{district}001001"
    _, admin = login("admin")
    body = {"cell_codes": [f"{community}002", f"{community}004"]}
    preview = api.post(MERGE, json=body, headers=admin).get_json()
    assert (preview["cells"], preview["report"]["ok"], preview["committed"]) == (
        [f"{community}002"], True, False)  # fmt: skip
    diagonal = api.post(MERGE, json={"cell_codes": [f"{community}001", f"{community}004"]},
                        headers=admin)  # fmt: skip
    assert (diagonal.status_code, diagonal.get_json()["error"]["field"]) == (422, "cell_codes")
    miss = api.post(SPLIT, json={"cell_code": f"{community}001",
                                 "line": [[lng0 + 1, lat0 + 1], [lng0 + 2, lat0 + 2]]},
                    headers=admin)  # fmt: skip
    assert (miss.status_code, miss.get_json()["error"]["field"]) == (422, "line")
    ghost = api.post(SPLIT, json={"cell_code": "999999001001001", "line": [[1, 1], [2, 2]]},
                     headers=admin)  # fmt: skip
    assert (ghost.status_code, ghost.get_json()["error"]["field"]) == (422, "cell_code")
    merged = api.post(MERGE, json=body | {"commit": True}, headers=admin)
    assert merged.status_code == 200 and merged.get_json()["version"] is not None
