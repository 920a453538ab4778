"""The grid in the browser: an uploaded GeoJSON with overlapping cells shows the importer's
report, its problems marked on the map, and cannot be committed; a clean one is committed as a
new version that the history lists."""

from __future__ import annotations

from sqlalchemy import text

from tests.e2e.test_admin_accounts import admin_page
from tests.integration.geo.conftest import new_district, spot
from tests.integration.services.grid_fixtures import cell_points
from tests.unit.geo.grids import two_by_two


def _versions(engine, district: str) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(
            text("SELECT id FROM grid_version WHERE district_code = :d"), {"d": district}
        ).scalars())  # fmt: skip


def test_a_bad_grid_is_marked_on_the_map_and_a_clean_one_becomes_a_version(
    page, live_server, engine, tmp_path, screenshot
):
    district = new_district()
    bad = tmp_path / "bad.geojson"
    bad.write_text(two_by_two(district, shift_m=20, origin=spot(district)), encoding="utf-8")
    good = tmp_path / "good.geojson"
    good.write_text(two_by_two(district, origin=spot(district)), encoding="utf-8")
    cell_points(engine)  # the demo grid: a current version to list
    admin_page(page, live_server, engine)
    page.wait_for_selector("#admin-main:not([hidden])")
    page.click("a[href='#grid']")
    page.wait_for_selector("#grid-versions tbody tr.current")

    page.set_input_files("#grid-file", str(bad))
    page.click("#grid-check")
    page.wait_for_selector("#grid-problems tbody tr[data-kind='overlap']")
    assert page.query_selector_all("#grid-map .problem-marker.error")
    assert "错误" in page.inner_text("#grid-summary") and page.is_disabled("#grid-commit")
    screenshot(page, "admin-grid-report")
    assert _versions(engine, district) == []

    page.set_input_files("#grid-file", str(good))
    page.fill("#grid-note", "网格调整")
    page.click("#grid-check")
    page.wait_for_selector("#grid-summary:has-text('检查通过')")
    assert _versions(engine, district) == []
    page.click("#grid-commit")
    page.wait_for_selector("#grid-summary:has-text('已提交为新版本')")
    [version] = _versions(engine, district)
    row = page.wait_for_selector(f"#grid-versions tr[data-version='{version}']")
    assert district in row.inner_text() and "网格调整" in row.inner_text()
