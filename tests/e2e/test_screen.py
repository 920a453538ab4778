"""The big screen (/screen) in Chromium at 3840×2160 (and 1920×1080): one viewport with no
scrollbars, large type, and a case dispatched in the leader's street shows up live."""

from __future__ import annotations

import pytest

from tests.e2e.isolated import own_module
from tests.e2e.live_pages import account, sign_in
from tests.integration.services.grid_fixtures import cell_points

stack, engine, live_server, writer = own_module("screen")

FITS = """() => ({
  width: document.documentElement.scrollWidth <= window.innerWidth,
  height: document.documentElement.scrollHeight <= window.innerHeight,
  title: parseFloat(getComputedStyle(document.querySelector('.topbar h1')).fontSize),
  tile: parseFloat(getComputedStyle(document.querySelector('.tile .value')).fontSize),
})"""


@pytest.mark.parametrize(("width", "height"), [(3840, 2160), (1920, 1080)])
def test_the_screen_fills_the_wall_and_updates_live(browser, live_server, engine, writer,
                                                    screenshot, width, height):  # fmt: skip
    cells = cell_points(engine)
    street = cells[0].street
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        _, username = account(engine, "leader", jurisdiction=street)
        sign_in(page, live_server, "/screen", username)
        page.wait_for_function("() => document.querySelector('#month-cases .value')"
                               ".textContent !== '—'")  # fmt: skip
        case_id = writer.new_case(cells[0].code)
        page.wait_for_selector(f"#ticker li[data-case-id='{case_id}']", timeout=5000)
        page.wait_for_selector(f"path.case-{case_id}", timeout=5000)
        page.wait_for_function("() => document.querySelector('#today-dispatched .value')"
                               ".textContent !== '0'", timeout=5000)  # fmt: skip
        fits = page.evaluate(FITS)
        assert fits["width"] and fits["height"], fits
        assert fits["title"] >= 0.028 * height and fits["tile"] >= 0.034 * height, fits
        assert page.locator("body").evaluate("b => getComputedStyle(b).backgroundColor") == (
            "rgb(7, 17, 31)")  # fmt: skip
        assert screenshot(page, f"screen-{width}x{height}").stat().st_size > 0
        assert errors == []
    finally:
        context.close()
