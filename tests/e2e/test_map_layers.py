"""The command center's map layers in Chromium: case markers cluster at city zoom and split
when zoomed in; the legend's boxes hide and show the cells, the cases of a state, the overdue
cases and the workers; the heat map draws the cases of a chosen category and period."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import text

from tests.e2e.isolated import own_module
from tests.e2e.live_pages import HEAT_CANVAS, PAINTED, account, sign_in
from tests.integration.services.grid_fixtures import cell_points
from tests.integration.services.live.cases import CATEGORY

stack, engine, live_server, writer = own_module("maplayers")

CELLS_CANVAS = "#map .leaflet-overlay-pane canvas"


def _view(page, lat: float, lng: float, zoom: int) -> None:
    page.evaluate(
        "([lat, lng, zoom]) => { window.gridflowMap.setView(gfTiles.toMap(lat, lng), zoom, "
        "{animate: false}); }",
        [lat, lng, zoom],
    )


def _visible(page, selector: str) -> int:
    return page.locator(selector).count()


def test_clusters_toggles_and_the_heat_map(page, live_server, engine, writer, screenshot):
    cells = cell_points(engine)
    street = cells[0].street
    cases = [writer.new_case(c.code) for c in cells[:4]]
    late = cases[3]
    with engine.begin() as conn:
        conn.execute(text("UPDATE case_file SET ack_due = now() - interval '1 minute' "
                          "WHERE id = :id"), {"id": late})  # fmt: skip
        here = conn.execute(
            text("SELECT avg(ST_Y(geom)) AS lat, avg(ST_X(geom)) AS lng FROM case_file "
                 "WHERE id = ANY(:ids)"), {"ids": cases},
        ).one()  # fmt: skip
    worker_id, _ = account(engine, "grid_worker", cells=(cells[0].code,))
    _, username = account(engine, "operator", jurisdiction=street)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, live_server, "/", username)
    page.wait_for_selector(f"path.case-{cases[0]}", state="attached", timeout=10_000)

    # City zoom: the cases of the street gather into one cluster with their number on it.
    _view(page, here.lat, here.lng, 11)
    cluster = page.locator(".marker-cluster").first
    cluster.wait_for(timeout=5000)
    assert cluster.inner_text().strip() == str(len(cases))
    assert all(_visible(page, f"path.case-{c}") == 0 for c in cases)
    screenshot(page, "map-clusters")
    # Street zoom: the cluster splits into the cases' own markers.
    _view(page, here.lat, here.lng, 15)
    page.wait_for_selector(f"path.case-{late}.overdue", timeout=5000)
    assert _visible(page, ".marker-cluster") == 0
    assert all(_visible(page, f"path.case-{c}") == 1 for c in cases)

    # The boxes: dispatched cases (not overdue), the overdue ones, the cells, the workers.
    legend = page.locator(".map-layers")
    assert "网格" in legend.inner_text() and "已派遣" in legend.inner_text()
    page.uncheck("input[data-layer=dispatched]")
    assert [_visible(page, f"path.case-{c}") for c in cases] == [0, 0, 0, 1]
    page.uncheck("input[data-layer=overdue]")
    assert _visible(page, f"path.case-{late}") == 0
    page.check("input[data-layer=dispatched]")
    page.check("input[data-layer=overdue]")
    assert all(_visible(page, f"path.case-{c}") == 1 for c in cases)
    page.wait_for_function(f"() => ({PAINTED})('{CELLS_CANVAS}') > 0", timeout=5000)
    page.uncheck("input[data-layer=cells]")
    page.wait_for_function(f"() => ({PAINTED})('{CELLS_CANVAS}') === 0", timeout=5000)
    page.check("input[data-layer=cells]")
    page.wait_for_function(f"() => ({PAINTED})('{CELLS_CANVAS}') > 0", timeout=5000)
    writer.pings(worker_id, cells[0].lat, cells[0].lng)
    page.wait_for_selector(f"path.worker-{worker_id}", timeout=10_000)
    page.uncheck("input[data-layer=workers]")
    assert _visible(page, f"path.worker-{worker_id}") == 0
    page.check("input[data-layer=workers]")
    assert _visible(page, f"path.worker-{worker_id}") == 1

    # The heat map: the cases' category around today, then a period without cases.
    # (a day either side of today: the server counts days in China's time zone)
    page.check("#heat-on")
    page.wait_for_function("() => document.querySelectorAll('#heat-category option').length > 1")
    page.select_option("#heat-category", CATEGORY)
    page.fill("#heat-from", (date.today() - timedelta(days=1)).isoformat())
    page.fill("#heat-to", (date.today() + timedelta(days=1)).isoformat())
    page.dispatch_event("#heat-to", "change")
    status = page.locator(".heat-status")
    page.wait_for_function(f"() => document.querySelector('.heat-status').dataset.cases "
                           f"=== '{len(cases)}'", timeout=5000)  # fmt: skip
    assert status.inner_text() == f"{len(cases)} 件案件"
    assert page.evaluate(PAINTED, HEAT_CANVAS) > 0
    screenshot(page, "map-heat")
    page.fill("#heat-from", "2020-01-01")
    page.fill("#heat-to", "2020-01-31")
    page.dispatch_event("#heat-to", "change")
    page.wait_for_function("() => document.querySelector('.heat-status').dataset.cases === '0'",
                           timeout=5000)  # fmt: skip
    assert page.evaluate(PAINTED, HEAT_CANVAS) == 0
    page.uncheck("#heat-on")
    assert _visible(page, HEAT_CANVAS) == 0

    # English: the boxes and the heat map's labels follow the language switch.
    page.click("#lang")
    assert "Grid cells" in legend.inner_text() and "Overdue" in legend.inner_text()
    assert "Heat map" in page.locator(".heat-control").inner_text()
    assert errors == []
