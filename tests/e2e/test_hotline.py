"""The hotline intake form in Chromium, with `gridflow relay` and `gridflow router` running:
an operator takes a call, the open case of the same category nearby is suggested, and the
call is attached to it (the router merges the caller's report into the case); a call about
something new, its place found in the gazetteer by pinyin initials, is saved as a new case.
Each flow counts the operator's interactions (a click, a field filled, the map zoomed to the
place): a typical call takes at most six."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from tests.e2e.isolated import own_module
from tests.e2e.live_pages import account, sign_in
from tests.integration.services.grid_fixtures import cell_points
from tests.integration.services.live.cases import CATEGORY
from tests.processes import GridflowProcess

stack, engine, live_server, writer = own_module("hotline")

TYPICAL_CALL = 6


@pytest.fixture(scope="module")
def pipeline(stack, engine, live_server):
    """The demo grid and routing rules, `gridflow relay` and `gridflow router` running (started
    after the server, so the three do not start on a busy machine at once)."""
    from services.routing.rulefile import load_demo_rules

    cell_points(engine)
    load_demo_rules(engine, actor="e2e")
    relay = GridflowProcess("e2e-hotline-relay", ["relay"], stack)
    router = GridflowProcess("e2e-hotline-router", ["router"], stack)
    try:
        yield
    finally:
        router.stop()
        relay.stop()


class Operator:
    """The operator's hands on the page, counting each interaction."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def click(self, selector: str) -> None:
        self.count += 1
        self.page.click(selector)

    def fill(self, selector: str, value: str) -> None:
        self.count += 1
        self.page.fill(selector, value)

    def zoom_to(self, lat: float, lng: float) -> None:
        self.count += 1
        self.page.evaluate(
            "([lat, lng]) => { gridflowMap.setView(gfTiles.toMap(lat, lng), 18, "
            "{ animate: false }); }",
            [lat, lng],
        )

    def click_map(self, lat: float, lng: float, dx: int = 15) -> None:
        """A click on the map `dx` pixels right of the WGS84 point (off its marker), where the
        map draws it (in its tiles' datum)."""
        self.count += 1
        x, y = self.page.evaluate(
            "([lat, lng]) => { const p = gridflowMap.latLngToContainerPoint("
            "gfTiles.toMap(lat, lng));"
            " return [p.x, p.y]; }", [lat, lng],
        )  # fmt: skip
        box = self.page.locator("#map").bounding_box()
        self.page.mouse.click(box["x"] + x + dx, box["y"] + y)


def _point(engine, case_id: str) -> tuple[float, float]:
    with engine.connect() as conn:
        return tuple(conn.execute(
            text("SELECT ST_Y(geom), ST_X(geom) FROM case_file WHERE id = :id"), {"id": case_id}
        ).one())  # fmt: skip


def _report(engine, case_no: str):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT r.channel, r.reporter_phone, c.state, c.merged_into::text AS "
                     "merged_into FROM report r LEFT JOIN case_file c ON c.report_id = r.id "
                     "WHERE r.case_no = :no"), {"no": case_no},
            ).mappings().first()  # fmt: skip
        if row is not None and row["state"] is not None:
            return row
        time.sleep(0.3)
    raise AssertionError(f"the router made no case of report {case_no}")


def _start_call(operator: Operator, phone: str, category: str) -> None:
    page = operator.page
    operator.click("#hotline-open")
    page.locator("#hotline-form input[name=caller_phone]").wait_for()
    operator.fill("#hotline-form input[name=caller_phone]", phone)
    page.locator("#hotline-form input[name=category_search]").fill(category)
    operator.count += 1  # typing the category: the first match is taken on leaving the field


def _take_call(operator: Operator, phone: str, category: str, lat: float, lng: float) -> None:
    _start_call(operator, phone, category)
    operator.zoom_to(lat, lng)
    operator.click_map(lat, lng)


def test_a_call_is_attached_to_the_open_case_nearby(pipeline, page, live_server, engine, writer):
    cells = cell_points(engine)
    case_id = writer.new_case(cells[1].code, description="花坛护栏损坏")
    lat, lng = _point(engine, case_id)
    _, username = account(engine, "operator", jurisdiction=cells[0].street)
    sign_in(page, live_server, "/", username)
    operator = Operator(page)
    _take_call(operator, "13700001234", "花坛", lat, lng)
    assert page.locator("#hotline-form input[name=category_search]").input_value().startswith(
        CATEGORY)  # fmt: skip
    suggestion = page.locator(f"#hotline .nearby li[data-case-id='{case_id}']")
    page.locator("#hotline .nearby li").first.wait_for(timeout=5000)
    assert suggestion.count() == 1, page.locator("#hotline").inner_text()
    operator.click(f"#hotline .nearby li[data-case-id='{case_id}'] button.attach")
    status = page.locator("#hotline .status.ok")
    status.wait_for(timeout=5000)
    assert status.inner_text().startswith("来电已并入案件")
    assert operator.count <= TYPICAL_CALL, operator.count
    report = _report(engine, status.get_attribute("data-case-no"))
    assert dict(report) == {"channel": "hotline", "reporter_phone": "13700001234",
                            "state": "merged", "merged_into": case_id}  # fmt: skip


def test_a_call_about_something_new_is_saved_as_a_case(
    pipeline, page, live_server, stack, engine, tmp_path
):
    from click.testing import CliRunner

    from streams.cli import main
    from tests.processes import config_env

    cells = cell_points(engine)
    with engine.connect() as conn:
        lat, lng = conn.execute(
            text("SELECT ST_Y(ST_PointOnSurface(geom)), ST_X(ST_PointOnSurface(geom)) "
                 "FROM grid_cell WHERE code = :c ORDER BY version_id DESC LIMIT 1"),
            {"c": cells[3].code},
        ).one()  # fmt: skip
    gazetteer = tmp_path / "compounds.csv"
    gazetteer.write_text(
        f"name,lat,lng,kind\n明海花园北区,{lat},{lng},compound\n", encoding="utf-8"
    )
    imported = CliRunner().invoke(main, ["places", "import", str(gazetteer)],
                                  env=config_env(stack))  # fmt: skip
    assert imported.exit_code == 0, imported.output
    _, username = account(engine, "operator", jurisdiction=cells[0].street)
    sign_in(page, live_server, "/", username)
    operator = Operator(page)
    _start_call(operator, "13700005678", "201001")
    operator.fill("#hotline-form input[name=place_search]", "mhhybq")  # 明海花园北区
    operator.click("#hotline .place-matches li[data-kind=compound]")
    assert page.locator("#hotline-form input[name=address]").input_value() == "明海花园北区"
    page.locator("#hotline .nearby li").first.wait_for(timeout=5000)
    assert page.locator("#hotline .nearby li.nearby-case").count() == 0
    operator.click("#hotline-form button[type=submit]")
    status = page.locator("#hotline .status.ok")
    status.wait_for(timeout=5000)
    assert status.inner_text().startswith("已受理")
    assert operator.count <= TYPICAL_CALL, operator.count
    report = _report(engine, status.get_attribute("data-case-no"))
    assert (report["channel"], report["reporter_phone"]) == ("hotline", "13700005678")
    assert report["state"] in ("dispatched", "registered", "reported")
    with engine.connect() as conn:
        cell = conn.execute(text("SELECT cell_code FROM report WHERE case_no = :no"),
                            {"no": status.get_attribute("data-case-no")}).scalar_one()  # fmt: skip
    assert cell == cells[3].code
