"""The demo district right after `gridflow demo load`, in Chromium: the command center's KPI
tiles count today's reports, the case list finds the history's cases (by text in Chinese, by
state) and opens one, the map shades the cells with open cases and draws the month's cases as
a heat map, and the rankings page (/kpi) ranks the streets with scores and rates; an operator of
the district signed in."""

from __future__ import annotations

import re
import subprocess

import pytest
from sqlalchemy import text

from tests.e2e.isolated import own_module
from tests.e2e.live_pages import HEAT_CANVAS, PAINTED, account, sign_in
from tests.integration.services.accounts import PASSWORD
from tests.processes import GRIDFLOW, ROOT, GridflowProcess, config_env, free_port

stack, engine, _, writer = own_module("demo")

DISTRICT = "330211"
HISTORY_DAYS = "30"  # the suite's time; `gridflow demo load` writes 90 by default


@pytest.fixture(scope="module")
def demo_loaded(stack, tmp_path_factory) -> str:
    """The output of `gridflow demo load` run on the module's empty database."""
    media = tmp_path_factory.mktemp("demo-media")
    env = config_env(stack.with_(env="development", media_dir=str(media)))
    done = subprocess.run(
        [GRIDFLOW, "demo", "load", "--history-days", HISTORY_DAYS], env=env, cwd=ROOT,
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def live_server(stack, demo_loaded):
    """`gridflow serve` on the demo database, started once the demo is loaded (given longer
    than the usual 20 s to listen: building the app is slow on a busy machine)."""
    port = free_port()
    server = GridflowProcess("e2e-demo-serve", ["serve", "--port", str(port)], stack)
    try:
        server.wait_for_port(port, timeout_s=90)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture()
def operator_page(demo_loaded, page, live_server, engine):
    _, operator = account(engine, "operator", jurisdiction=DISTRICT)
    sign_in(page, live_server, "/", operator)
    return page


def _number(page, selector: str) -> int:
    value = page.locator(selector).inner_text()
    assert re.fullmatch(r"\d+", value), (selector, value)
    return int(value)


def test_the_command_center_shows_the_demo_district_working(operator_page, demo_loaded, engine):
    page = operator_page
    assert re.search(rf"history of {HISTORY_DAYS} days \(seed 2024\) loaded in ", demo_loaded)
    # Today's tiles: the calls of the day so far, registered and dispatched.
    page.wait_for_function(
        "() => /^[1-9]\\d*$/.test(document.querySelector('#kpi-captured .value').textContent)",
        timeout=15_000,
    )  # fmt: skip
    assert _number(page, "#kpi-captured .value") >= 3
    assert _number(page, "#kpi-dispatched .value") >= 1
    for key in ("resolved", "closed"):
        _number(page, f"#kpi-{key} .value")  # a count (0 in the small hours), never blank
    assert page.locator("#departments tbody tr").count() >= 1

    # The map shades the cells with open cases (the cell layers' fill beyond the empty one).
    shaded = page.wait_for_function(
        """() => {
          let shaded = 0;
          window.gridflowMap.eachLayer((layer) => {
            const p = layer.feature && layer.feature.properties;
            if (p && p.code && layer.options.fillColor !== "#c8e6c9") shaded += 1;
          });
          return shaded;
        }""",
        timeout=20_000,
    ).json_value()
    assert shaded >= 1

    # The heat map, as it opens (every category, the last 30 days): the history's cases of
    # the month, drawn. The window's edges are days in China's time zone, so the count is
    # bounded by the cases of the last 28 and of the last 31 days.
    with engine.connect() as conn:
        within = {days: conn.scalar(text(
            "SELECT count(*) FROM case_file WHERE geom IS NOT NULL "
            "AND created_at >= now() - make_interval(days => :days)"), {"days": days})
            for days in (28, 31)}  # fmt: skip
    assert within[28] >= 100, within
    page.check("#heat-on")
    page.wait_for_function("() => document.querySelector('.heat-status').dataset.cases",
                           timeout=10_000)  # fmt: skip
    drawn = int(page.locator(".heat-status").get_attribute("data-cases"))
    assert within[28] <= drawn <= within[31], (drawn, within)
    assert page.locator(".heat-status").inner_text() == f"{drawn} 件案件"
    assert page.evaluate(PAINTED, HEAT_CANVAS) > 0
    page.uncheck("#heat-on")

    # The case list: the history's cases found by Chinese text, and the overdue ones.
    form = page.locator("#search-form")
    form.locator("input[name=q]").fill("居民")
    with page.expect_response(lambda r: "/cases/search?" in r.url):
        form.locator("button[type=submit]").click()
    found = page.locator("#search-results li.search-row")
    found.first.wait_for(timeout=10_000)
    assert found.count() >= 10
    form.locator("input[name=q]").fill("")
    form.locator("select[name=state]").select_option("closed")
    with page.expect_response(lambda r: "/cases/search?" in r.url):
        form.locator("button[type=submit]").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#search-results li.state-closed').length >= 10"
    )
    found.first.click()
    page.locator("#case-panel ol.timeline li.event-CaseClosed").wait_for(timeout=10_000)


def test_the_rankings_rank_the_demo_streets(demo_loaded, page, live_server, engine):
    _, operator = account(engine, "operator", jurisdiction=DISTRICT)
    page.goto(f"{live_server}/kpi?level=street&period=quarter")
    page.fill("#login-username", operator)
    page.fill("#login-password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_function("() => (document.body.dataset.loaded || '').startsWith('street:')",
                           timeout=20_000)  # fmt: skip
    assert page.locator("#ranking tbody tr[data-code]").count() >= 2
    assert page.locator("#empty").is_hidden()
    scores = page.eval_on_selector_all(
        "#ranking tbody tr[data-code] td:nth-child(3)", "cells => cells.map(c => c.textContent)"
    )
    assert any(re.fullmatch(r"\d+\.\d\d", s) for s in scores), scores
    cells = page.eval_on_selector_all(
        "#ranking tbody tr[data-code] td", "cells => cells.map(c => c.textContent)"
    )
    assert sum(bool(re.fullmatch(r"\d+\.\d\d%", c)) for c in cells) >= 4, cells
