"""Editing the grid on the map with an open case in it: a cell split along a line drawn with
Leaflet-Geoman, two neighbours' shared edge moved to a drawn line, a cell renumbered. Each edit
is checked then committed as a new grid version; the case stays on its old cell version and a
report placed afterwards lands in the edited cells. Each on a district of its own (as the geo
tests do), so the run's other tests keep their cells."""

from __future__ import annotations

from sqlalchemy import text

from geo.importer import import_grid
from tests.e2e.test_admin_accounts import admin_page
from tests.integration.geo.conftest import new_district, spot
from tests.integration.services.accounts import signed_in
from tests.integration.services.handling.loop import CaseMaker
from tests.unit.geo.grids import STEP, two_by_two


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


def _grid_with_case(engine, client):
    """A 2 × 2 grid of a district of its own, an open case in its first cell, and the
    CaseMaker that filed it: (community, case, cases, origin)."""
    district = new_district()
    origin = spot(district)
    import_grid(engine, two_by_two(district, origin=origin))
    community = f"{district}001001"
    cases = CaseMaker(
        client, engine, lambda role, **scope: signed_in(client, engine, role, **scope)
    )
    case = cases.case("201001", f"{community}001")
    assert case["state"] != "closed"
    return community, case, cases, origin


def _grid_page(page, live_server, engine, cell: str):
    admin_page(page, live_server, engine)
    page.wait_for_selector("#admin-main:not([hidden])")
    page.click("a[href='#grid']")
    page.fill("#grid-find", cell)
    page.click("#grid-go")
    return page.wait_for_selector(f"#grid-map path.cell-{cell}")


def _current(engine, district: str) -> int:
    return _one(engine, "SELECT id FROM grid_version WHERE district_code = :d "
                "AND valid_to IS NULL", d=district)["id"]  # fmt: skip


def _kept(engine, case) -> None:
    kept = _one(engine, "SELECT cell_code, cell_id, grid_version FROM case_file WHERE id = :c",
                c=case["id"])  # fmt: skip
    assert (kept["cell_code"].strip(), kept["cell_id"], kept["grid_version"]) == (
        case["cell_code"].strip(), case["cell_id"], case["grid_version"])  # fmt: skip


def test_move_the_shared_edge_of_two_cells(page, live_server, engine, client, screenshot):
    community, case, cases, (lat0, lng0) = _grid_with_case(engine, client)
    west, east = f"{community}001", f"{community}002"
    first = _grid_page(page, live_server, engine, west)
    first.click()
    page.wait_for_selector(f"#grid-chosen:has-text('{west}')")
    page.click(f"#grid-map path.cell-{east}")
    page.wait_for_selector(f"#grid-chosen:has-text('{east}')")
    assert page.is_disabled("#grid-split") and page.is_enabled("#grid-edge")
    page.click("#grid-edge")
    box = first.bounding_box()
    x = box["x"] + box["width"] * 1.25  # a quarter of a cell into the east neighbour
    page.mouse.click(x, box["y"] + box["height"] + 25)
    page.mouse.dblclick(x, box["y"] - 25)
    summary = page.wait_for_selector("#grid-edit-summary.notice")
    assert "检查通过" in summary.inner_text()
    assert summary.get_attribute("data-cells") == f"{west},{east}"
    page.click("#grid-edit-commit")
    page.wait_for_selector("#grid-edit-summary:has-text('已提交为第')")
    page.wait_for_selector(f"#grid-map path.cell-{east}")
    screenshot(page, "admin-grid-edge")

    current = _current(engine, community[:6])
    assert current != case["grid_version"]
    _kept(engine, case)
    # both changed together: what was the east cell's west strip is the west cell's now
    where = {"lat": lat0 + STEP / 2, "lng": lng0 + STEP * 1.1, "crs": "wgs84", "accuracy_m": 5}
    report = cases.report(west, "201001", location=where)
    placed = _one(engine, "SELECT cell_code, grid_version FROM report WHERE id = :r",
                  r=report["id"])  # fmt: skip
    assert (placed["cell_code"].strip(), placed["grid_version"]) == (west, current)


def test_renumber_a_cell(page, live_server, engine, client, screenshot):
    community, case, cases, _ = _grid_with_case(engine, client)
    old, new = f"{community}001", f"{community}012"
    _grid_page(page, live_server, engine, old).click()
    page.wait_for_selector(f"#grid-chosen:has-text('{old}')")
    page.fill("#grid-new-code", f"{community}002")  # a current cell's code: refused
    page.click("#grid-renumber")
    refused = page.wait_for_selector("#grid-edit-summary.error")
    assert "current cell" in refused.inner_text()
    assert page.is_disabled("#grid-edit-commit")
    page.fill("#grid-new-code", new)
    page.click("#grid-renumber")
    summary = page.wait_for_selector("#grid-edit-summary.notice")
    assert "检查通过" in summary.inner_text() and new in summary.inner_text()
    page.click("#grid-edit-commit")
    page.wait_for_selector("#grid-edit-summary:has-text('已提交为第')")
    page.wait_for_selector(f"#grid-map path.cell-{new}")
    assert page.locator(f"#grid-map path.cell-{old}").count() == 0
    screenshot(page, "admin-grid-renumber")

    current = _current(engine, community[:6])
    _kept(engine, case)  # the case keeps the old code on its old cell version
    report = cases.report(new, "201001")
    placed = _one(engine, "SELECT cell_code, grid_version FROM report WHERE id = :r",
                  r=report["id"])  # fmt: skip
    assert (placed["cell_code"].strip(), placed["grid_version"]) == (new, current)
