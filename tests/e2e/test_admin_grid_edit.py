"""Splitting a cell with an open case on the map: the line is drawn with Leaflet-Geoman, the
edit is checked then committed as a new grid version; the case stays on its old cell version
and a report placed afterwards lands in a new cell. On a district of its own (as the geo tests
do), so the run's other tests keep their cells."""

from __future__ import annotations

from sqlalchemy import text

from geo.importer import import_grid
from tests.e2e.test_admin_accounts import admin_page
from tests.integration.geo.conftest import new_district, spot
from tests.integration.services.accounts import signed_in
from tests.integration.services.handling.loop import CaseMaker
from tests.unit.geo.grids import two_by_two


def _one(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).mappings().one()


def test_split_a_cell_with_an_open_case(page, live_server, engine, client, screenshot):
    district = new_district()
    import_grid(engine, two_by_two(district, origin=spot(district)))
    community = f"{district}001001"
    cell = f"{community}001"
    cases = CaseMaker(
        client, engine, lambda role, **scope: signed_in(client, engine, role, **scope)
    )
    case = cases.case("201001", cell)
    assert case["cell_code"].strip() == cell and case["state"] != "closed"

    admin_page(page, live_server, engine)
    page.wait_for_selector("#admin-main:not([hidden])")
    page.click("a[href='#grid']")
    page.fill("#grid-find", cell)
    page.click("#grid-go")
    shape = page.wait_for_selector(f"#grid-map path.cell-{cell}")
    shape.click()
    page.wait_for_selector(f"#grid-chosen:has-text('{cell}')")
    page.click("#grid-split")
    box = shape.bounding_box()
    x = box["x"] + box["width"] / 2
    page.mouse.click(x, box["y"] + box["height"] + 25)
    page.mouse.dblclick(x, box["y"] - 25)
    summary = page.wait_for_selector("#grid-edit-summary.notice")
    assert "检查通过" in summary.inner_text()
    west, east = summary.get_attribute("data-cells").split(",")
    assert (west, east) == (f"{community}005", f"{community}006")
    page.click("#grid-edit-commit")
    page.wait_for_selector("#grid-edit-summary:has-text('已提交为第')")
    page.wait_for_selector(f"#grid-map path.cell-{west}")
    screenshot(page, "admin-grid-split")

    kept = _one(engine, "SELECT cell_code, cell_id, grid_version FROM case_file WHERE id = :c",
                c=case["id"])  # fmt: skip
    assert (kept["cell_code"].strip(), kept["cell_id"], kept["grid_version"]) == (
        cell, case["cell_id"], case["grid_version"])  # fmt: skip
    current = _one(engine, "SELECT id FROM grid_version WHERE district_code = :d "
                   "AND valid_to IS NULL", d=district)["id"]  # fmt: skip
    assert current != case["grid_version"]
    report = cases.report(west, "201001")
    placed = _one(engine, "SELECT cell_code, grid_version FROM report WHERE id = :r",
                  r=report["id"])  # fmt: skip
    assert (placed["cell_code"].strip(), placed["grid_version"]) == (west, current)
