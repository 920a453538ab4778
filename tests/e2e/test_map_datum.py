"""The command center's map lines up with its tiles. Test tiles served locally draw a street
crossing where a known WGS84 point lies in their datum (GCJ-02 like AMap's, WGS84 like
Tianditu's); the case marker at that point lands on the crossing's screen pixel, and a click on
another crossing picks its WGS84 point back (within 1 m) in the hotline form."""

from __future__ import annotations

import io
import math
import re

import pytest
from PIL import Image
from sqlalchemy import text

from geo.datum import from_wgs84
from tests.e2e.isolated import own_module
from tests.e2e.live_pages import account, sign_in
from tests.e2e.tile_server import Crossing, Tiles, tile_server
from tests.integration.services.grid_fixtures import cell_points
from tests.processes import serving

stack, engine, live_server, writer = own_module("maptiles")

RED, BLUE = (255, 0, 0), (0, 0, 255)
KEY = "test-key-0123"
OVERLAYS = """v => { for (const pane of document.querySelectorAll('#map .leaflet-map-pane > '
  + '.leaflet-pane:not(.leaflet-tile-pane)')) pane.style.visibility = v; }"""
# Loaded and faded in: Leaflet fades a loaded tile in over ~200 ms, and a screenshot taken
# during the fade reads the street's red blended with the ground.
TILES_LOADED = """() => {
  const tiles = [...document.querySelectorAll('#map img.leaflet-tile')];
  return tiles.length > 0 && tiles.every((t) => t.complete && t.naturalWidth === 256
    && t.classList.contains('leaflet-tile-loaded') && getComputedStyle(t).opacity === '1'
    && getComputedStyle(t.parentElement).opacity === '1');
}"""


def _settings(crs: str, port: int) -> dict:
    """An AMap-like setting (GCJ-02, one layer) or a Tianditu-like one (WGS84: vec + cva
    with its key, {s} subdomains, a 审图号)."""
    if crs == "gcj02":
        return {
            "tile_crs": "gcj02", "tile_subdomains": "1234", "tile_attribution": "© 高德地图",
            "tile_url": f"http://127.0.0.1:{port}/amap/{{z}}/{{x}}/{{y}}.png?s={{s}}",
        }  # fmt: skip
    base = f"http://127.0.0.1:{port}/{{layer}}/{{z}}/{{x}}/{{y}}.png?s={{s}}&tk={{tk}}"
    return {
        "tile_crs": "wgs84", "tile_subdomains": "01234567", "tile_key": KEY,
        "tile_url": base.replace("{layer}", "vec_w"),
        "tile_labels_url": base.replace("{layer}", "cva_w"),
        "tile_attribution": "© 天地图", "tile_approval": "审图号：GS(2024)0650号",
    }  # fmt: skip


def _case_point(engine, case_id: str) -> tuple[float, float]:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT ST_Y(geom) AS lat, ST_X(geom) AS lng FROM case_file WHERE id = :id"),
            {"id": case_id},
        ).one()
    return row.lat, row.lng


def _street_pixel(page, colour) -> tuple[float, float]:
    """The page pixel (centre) where the tiles' crossing of `colour` is: the row and column
    holding most pixels of that colour in the map's tiles (read with the overlays hidden)."""
    box = page.locator("#map").bounding_box()
    page.evaluate(OVERLAYS, "hidden")
    shot = Image.open(io.BytesIO(page.screenshot(clip=box))).convert("RGB")
    page.evaluate(OVERLAYS, "")
    rows, cols = {}, {}
    for y in range(shot.height):
        for x in range(shot.width):
            r, g, b = shot.getpixel((x, y))
            near = (r, g, b) if colour == RED else (b, g, r)
            if near[0] > 200 and near[1] < 60 and near[2] < 60:
                rows[y] = rows.get(y, 0) + 1
                cols[x] = cols.get(x, 0) + 1
    assert rows, f"no street of {colour} on screen"
    row = max(rows, key=rows.get)
    col = max(cols, key=cols.get)
    assert rows[row] > 40 and cols[col] > 40, (rows[row], cols[col])
    return box["x"] + col + 0.5, box["y"] + row + 0.5


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    north = (a[0] - b[0]) * 111_320.0
    east = (a[1] - b[1]) * 111_320.0 * math.cos(math.radians(a[0]))
    return math.hypot(north, east)


@pytest.mark.parametrize("crs", ["gcj02", "wgs84"])
def test_overlay_lands_on_the_tiles_street_and_a_click_maps_back(browser, stack, engine, writer,
                                                                 screenshot, crs):  # fmt: skip
    cell = cell_points(engine)[0]
    case_id = writer.new_case(cell.code)
    here = _case_point(engine, case_id)
    there = (here[0] + 0.0012, here[1] + 0.0016)  # a crossing about 200 m to the north-east
    tiles = Tiles(crs, [Crossing(*here, RED), Crossing(*there, BLUE)])
    _, username = account(engine, "operator", jurisdiction=cell.street)
    with tile_server(tiles) as port, serving(f"e2e-maptiles-{crs}", stack.with_(
            **_settings(crs, port))) as url:  # fmt: skip
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            sign_in(page, url, "/", username)
            marker = page.locator(f"path.case-{case_id}")
            marker.wait_for(timeout=10_000)
            middle = from_wgs84((here[0] + there[0]) / 2, (here[1] + there[1]) / 2, crs)
            page.evaluate("c => { window.gridflowMap.setView(c, 17, {animate: false}); }", middle)
            page.wait_for_function(TILES_LOADED, timeout=10_000)
            street = _street_pixel(page, RED)
            box = marker.bounding_box()
            drawn = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            screenshot(page, f"map-datum-{crs}")
            # One screen pixel apart at most (an unconverted GCJ-02 overlay is ~470 px off).
            assert abs(drawn[0] - street[0]) <= 1.5 and abs(drawn[1] - street[1]) <= 1.5, (
                drawn, street)  # fmt: skip

            # The click: at zoom 19 a screen pixel is 0.26 m; the form shows the WGS84 point.
            page.click("#hotline-open")
            page.evaluate("c => { window.gridflowMap.setView(c, 19, {animate: false}); }",
                          from_wgs84(*there, crs))  # fmt: skip
            page.wait_for_function(TILES_LOADED, timeout=10_000)
            page.mouse.click(*_street_pixel(page, BLUE))
            place = page.locator("#hotline-form .place")
            page.wait_for_function(
                "() => /\\d+\\.\\d{6}/.test(document.querySelector('#hotline-form .place')"
                ".textContent)", timeout=5000)  # fmt: skip
            lat, lng = (float(v) for v in re.findall(r"\d+\.\d{6}", place.text_content()))
            assert _metres((lat, lng), there) < 1.0, ((lat, lng), there)

            layers = {path.split("/")[1] for _, path, _ in tiles.asked}
            attribution = page.locator(".leaflet-control-attribution").text_content()
            if crs == "wgs84":
                assert layers == {"vec_w", "cva_w"}
                assert all(q.get("tk") == [KEY] for _, _, q in tiles.asked)
                assert "天地图" in attribution and "审图号：GS(2024)0650号" in attribution
            else:
                assert layers == {"amap"}
                assert "高德地图" in attribution
            assert {q["s"][0] for _, _, q in tiles.asked} <= set(_settings(crs, 0)[
                "tile_subdomains"])  # fmt: skip
            assert errors == []
        finally:
            context.close()
