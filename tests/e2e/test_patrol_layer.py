"""The patrol layer of the command center in Chromium, over real processes (`gridflow serve`,
`relay`, `patrol`): a cell is shaded once a worker's pings cross it, and the worker's track of
today, shown on a click on the worker, grows as more pings arrive."""

from __future__ import annotations

import time
import uuid

import pytest
import requests

from tests.e2e.live_pages import account, sign_in
from tests.integration.patrol_tracks import line, square_pair, today_start
from tests.integration.services.accounts import tokens_over_http
from tests.integration.services.grid_fixtures import cell_points
from tests.integration.services.live.isolated import own_engine, own_stack
from tests.processes import GridflowProcess, serving


@pytest.fixture(scope="module")
def stack(config):
    with own_stack(config, "e2epatrol") as own:
        yield own


@pytest.fixture(scope="module")
def engine(stack):
    with own_engine(stack) as own:
        cell_points(own)  # loads the demo grid
        yield own


@pytest.fixture(scope="module")
def live_server(stack, engine):
    with serving("e2e-patrol-serve", stack) as url:
        yield url


@pytest.fixture(scope="module")
def processors(stack, engine, live_server):
    """`gridflow relay` and `gridflow patrol`, started once the server listens."""
    relay = GridflowProcess(f"e2e-patrol-relay-{uuid.uuid4().hex[:6]}", ["relay"], stack)
    patrol = GridflowProcess(f"e2e-patrol-{uuid.uuid4().hex[:6]}", ["patrol"], stack)
    try:
        yield
    finally:
        patrol.stop()
        relay.stop()


def _post(base_url: str, token: str, pings: list[dict]) -> None:
    resp = requests.post(f"{base_url}/api/v1/patrol/pings", timeout=10,
                         headers={"Authorization": f"Bearer {token}"},
                         json={"batch_id": str(uuid.uuid4()), "pings": pings})  # fmt: skip
    assert resp.status_code == 202, resp.text


def test_the_coverage_layer_shades_a_cell_after_a_workers_pings_cross_it(
    processors, page, live_server, engine, screenshot
):
    cell, _ = square_pair(engine, set())
    worker_id, username = account(engine, "grid_worker", cells=(cell.code,))
    token, _ = tokens_over_http(live_server, username)
    _, operator = account(engine, "operator", jurisdiction=cell.code[:9])
    sign_in(page, live_server, "/", operator)
    lat, lng = cell.middle
    page.evaluate(f"() => {{ window.gridflowMap.setView(gfTiles.toMap({lat}, {lng}), 17); }}")
    shaded = f"path.patrol-cell-{cell.code}.covered"
    time.sleep(1.0)  # the cells in view load; none of them is covered yet
    assert page.locator(shaded).count() == 0

    walk = line((lat, cell.west - 0.0004), (lat, cell.east + 0.0004), today_start())
    half = len(walk) // 2
    _post(live_server, token, walk[:half])
    posted = time.monotonic()
    page.wait_for_selector(shaded, state="attached", timeout=20_000)
    print(f"cell shaded {time.monotonic() - posted:.2f} s after the pings were posted")
    first = page.evaluate(f"window.gridflowPatrol.coverage.get('{cell.code}').share")
    assert 0 < first < 1

    # the worker's marker (its latest position) → a click shows the track of today
    marker = page.locator(f"path.worker-{worker_id}")
    marker.wait_for(state="attached", timeout=20_000)
    marker.dispatch_event("click")
    track = page.locator("path.patrol-track")
    track.wait_for(state="attached", timeout=10_000)
    before = track.get_attribute("d")

    _post(live_server, token, walk[half:])
    page.wait_for_function(
        "([code, share]) => window.gridflowPatrol.coverage.get(code).share > share",
        arg=[cell.code, first], timeout=20_000,
    )  # fmt: skip
    page.wait_for_function(
        "(before) => { const p = document.querySelector('path.patrol-track');"
        " return p && p.getAttribute('d') !== before; }",
        arg=before, timeout=20_000,
    )  # fmt: skip
    screenshot(page, "patrol-coverage-layer")
