"""Fixtures for the phone client: a grid worker with cells, and a phone-sized Chromium context
with geolocation granted and set inside the worker's first cell."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

import pytest
from PIL import Image

from tests.e2e.live_pages import fresh_point
from tests.integration.services.accounts import PASSWORD, make_user
from tests.integration.services.grid_fixtures import CellPoint, cell_points
from tests.processes import ARTIFACTS, GridflowProcess

PHONE = {"width": 360, "height": 740}


def _tile() -> bytes:
    image = Image.new("RGB", (256, 256), (238, 240, 236))
    for x in range(0, 256, 64):
        image.paste((250, 250, 250), (x, 0, x + 6, 256))
        image.paste((250, 250, 250), (0, x, 256, x + 6))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


TILE = _tile()


@dataclass(frozen=True)
class Worker:
    user_id: int
    username: str
    cells: tuple[CellPoint, ...]

    @property
    def home(self) -> CellPoint:
        return self.cells[0]


@pytest.fixture(scope="session")
def street(engine) -> str:
    """A street of the demo grid (loaded on first use)."""
    return cell_points(engine)[0].street


@pytest.fixture()
def worker(engine, street) -> Worker:
    """A fresh grid worker bound to two random cells of `street`; its phone stands at a random
    point of the first one, so reports of different tests are never each other's duplicates."""
    home = CellPoint(*fresh_point(engine, street))
    other = CellPoint(*fresh_point(engine, street))
    while other.code == home.code:
        other = CellPoint(*fresh_point(engine, street))
    user_id, username = make_user(engine, "grid_worker", cells=(home.code, other.code))
    return Worker(user_id, username, (home, other))


@pytest.fixture(scope="module")
def pipeline(config, engine):
    """The demo departments and routing rules, with `gridflow relay` and `gridflow router`
    running: reports become cases and are dispatched. Stopped after each test module (package
    scope here, in a folder that is no package, is the whole run): left running, they would
    publish and route the outbox rows and reports of the tests after them in the run, which
    share its database and topics, before those tests' own relays and routers."""
    from services.routing.rulefile import load_demo_rules
    from streams.topics import ensure_topics

    if ensure_topics(config):
        time.sleep(2.5)  # running servers look for new topics every 2 s
    load_demo_rules(engine, actor="e2e-mobile")
    relay = GridflowProcess("e2e-mobile-relay", ["relay"], config)
    router = GridflowProcess("e2e-mobile-router", ["router"], config)
    try:
        yield
    finally:
        router.stop()
        relay.stop()


@pytest.fixture()
def phone(browser, worker):
    """A 360×740 phone context (zh-CN, touch, geolocation inside the worker's first cell)."""
    context = browser.new_context(
        locale="zh-CN",
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        permissions=["geolocation"],
        geolocation={"latitude": worker.home.lat, "longitude": worker.home.lng, "accuracy": 8},
        service_workers="allow",
    )
    # The map tile server is not reachable from tests: a plain tile stands in for it.
    context.route(
        "**/appmaptile**", lambda route: route.fulfill(body=TILE, content_type="image/png")
    )
    yield context
    context.close()


@pytest.fixture()
def photo_file(tmp_path):
    """A 3000×2000 JPEG, as a phone camera would take it."""
    image = Image.new("RGB", (3000, 2000), (40, 120, 200))
    for x in range(0, 3000, 200):
        image.paste((230, 200, 40), (x, 0, x + 100, 2000))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90)
    path = tmp_path / "camera.jpg"
    path.write_bytes(buf.getvalue())
    return path


@pytest.fixture()
def phone_shot():
    """phone_shot(page, name): what the phone's screen shows (360×740, no toast), saved as
    tests/artifacts/screenshots/<name>.png; returns the path."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)

    def _take(page, name: str):
        page.wait_for_selector("#toast", state="hidden", timeout=10_000)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return _take


def sign_in(page, base: str, username: str, password: str = PASSWORD) -> None:
    """Opens /m/, signs in, and waits until the service worker controls the page."""
    page.goto(base + "/m/")
    page.wait_for_selector("body[data-ready=true]")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#app:not([hidden])")
    wait_until(page, "navigator.serviceWorker.controller !== null")


def wait_until(page, expression: str, timeout_s: float = 15.0) -> object:
    """Polls a JavaScript expression until it is truthy (the pages' CSP forbids the string
    evaluation page.wait_for_function relies on); returns its value."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout_s} s: {expression}")
        page.wait_for_timeout(100)
