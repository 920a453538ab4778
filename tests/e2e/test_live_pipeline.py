"""The whole path in real processes: a report posted through the API goes through the outbox
relay and the router and shows on an open command-center page."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import pytest
import requests

from tests.e2e.isolated import own_module
from tests.e2e.live_pages import account, fresh_point, sign_in
from tests.integration.services.accounts import tokens_over_http
from tests.integration.services.grid_fixtures import cell_points
from tests.processes import GridflowProcess

stack, engine, live_server, writer = own_module("pipeline")

CATEGORY = "206002"  # 飞线充电: a small duplicate radius keeps test reports apart


@pytest.fixture(scope="module")
def pipeline(stack, engine):
    """The demo routing rules, and `gridflow relay` and `gridflow router` running."""
    from services.routing.rulefile import load_demo_rules

    cell_points(engine)  # loads the demo grid
    load_demo_rules(engine, actor="e2e")
    relay = GridflowProcess("e2e-relay", ["relay"], stack)
    router = GridflowProcess("e2e-router", ["router"], stack)
    time.sleep(2)
    try:
        yield
    finally:
        router.stop()
        relay.stop()


@pytest.fixture()
def token_of(live_server, engine):
    """token_of(role, **scope) → (user id, access token, refresh token) of a fresh account."""

    def _make(role: str, **scope):
        user_id, username = account(engine, role, **scope)
        return (user_id, *tokens_over_http(live_server, username))

    return _make


@pytest.fixture(scope="module")
def street(engine):
    return cell_points(engine)[0].street


def post_report(base_url: str, engine, street: str) -> str:
    """Files a report as a grid worker of a random cell of `street`; returns the report id."""
    cell, lat, lng = fresh_point(engine, street)
    _, username = account(engine, "grid_worker", cells=(cell,))
    token, _ = tokens_over_http(base_url, username)
    report_id = str(uuid.uuid4())
    resp = requests.post(
        f"{base_url}/api/v1/reports",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "id": report_id,
            "category": CATEGORY,
            "description": "楼道里拉线给电动车充电",
            "location": {"lat": lat, "lng": lng, "crs": "wgs84", "accuracy_m": 5.0},
            "occurred_at": datetime.now(UTC).isoformat(),
        },
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    return report_id


def test_a_posted_report_appears_on_the_map_and_ticker_within_2s(
    pipeline, page, live_server, engine, street
):
    _, username = account(engine, "operator", jurisdiction=street)
    sign_in(page, live_server, "/", username)

    report_id = post_report(live_server, engine, street)
    posted = time.monotonic()
    page.wait_for_selector(f"#ticker li[data-report-id='{report_id}']", timeout=2000)
    page.wait_for_selector(f"path.report-{report_id}", timeout=2000)
    elapsed = time.monotonic() - posted
    print(f"report on the page after {elapsed:.2f} s")
    assert elapsed < 2.0


def case_of(engine, report_id: str, timeout_s: float = 10.0):
    """(case id, department code) of a report once the router has dispatched it."""
    from sqlalchemy import text

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT id::text, department_code FROM case_file "
                    "WHERE report_id = :r AND state = 'dispatched'"
                ),
                {"r": report_id},
            ).first()
        if row is not None:
            return row[0], row[1]
        time.sleep(0.1)
    raise AssertionError(f"report {report_id} was not dispatched in {timeout_s} s")


def test_department_acknowledges_in_its_console_and_the_center_sees_it_within_2s(
    pipeline, browser, page, live_server, engine, street, screenshot
):
    _, department = case_of(engine, post_report(live_server, engine, street))
    _, operator = account(engine, "operator", jurisdiction=street)
    _, staff = account(engine, "department_staff", department=department)
    sign_in(page, live_server, "/", operator)
    console_context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    try:
        console = console_context.new_page()
        sign_in(console, live_server, "/console", staff)

        report_id = post_report(live_server, engine, street)
        case_id, routed_to = case_of(engine, report_id)
        assert routed_to == department
        card = console.locator(f"article[data-case-id='{case_id}']")
        card.wait_for(timeout=2000)
        console.locator(".toast").first.wait_for(timeout=2000)  # the new-case notification
        assert card.locator(".countdown").inner_text() not in ("", "—")
        page.wait_for_selector(f"path.case-{case_id}.state-dispatched", timeout=2000)

        card.locator("button.acknowledge").click()
        clicked = time.monotonic()
        page.wait_for_selector(f"path.case-{case_id}.state-acknowledged", timeout=2000)
        elapsed = time.monotonic() - clicked
        print(f"acknowledgement on the command center after {elapsed:.2f} s")
        assert elapsed < 2.0
        console.locator(f"article[data-case-id='{case_id}'][data-state='acknowledged']").wait_for(
            timeout=2000
        )
        console.mouse.move(10, 10)
        screenshot(console, "department-console")

        card.locator("button.resolve").click()
        form = card.locator("form.form-resolve")
        form.locator("textarea[name=note]").fill("已拆除飞线，设置集中充电点")
        form.locator("input[name=photo]").set_input_files(
            files=[{"name": "fixed.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
        )
        form.locator("button[type=submit]").click()
        page.wait_for_selector(f"#ticker li[data-case-id='{case_id}'].event-CaseResolved",
                               timeout=2000)  # fmt: skip
        page.wait_for_selector(f"path.case-{case_id}.state-resolved", timeout=2000)
        console.locator(f"article[data-case-id='{case_id}']").wait_for(
            state="detached", timeout=2000
        )
    finally:
        console_context.close()


def test_operator_redispatches_from_the_case_panel(pipeline, page, live_server, engine, street):
    case_id, department = case_of(engine, post_report(live_server, engine, street))
    other = "greening" if department != "greening" else "water"
    _, operator = account(engine, "operator", jurisdiction=street)
    sign_in(page, live_server, "/", operator)
    page.click(f"#ticker li[data-case-id='{case_id}']")
    form = page.locator("#case-panel form.action-redispatch")
    form.locator("input[name=department_code]").fill(other)
    form.locator("button[type=submit]").click()
    form.locator(".status.ok").wait_for(timeout=5000)
    page.wait_for_selector(
        f"#ticker li[data-case-id='{case_id}'].event-CaseDispatched >> nth=0", timeout=2000
    )
    assert case_of(engine, str(report_of(engine, case_id)))[1] == other


def report_of(engine, case_id: str) -> str:
    from sqlalchemy import text

    with engine.connect() as conn:
        return conn.execute(
            text("SELECT report_id::text FROM case_file WHERE id = :c"), {"c": case_id}
        ).scalar_one()


def jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def test_the_simulated_fleet_makes_the_city_move(pipeline, live_server, stack, engine, token_of):
    """`gridflow simulate` files reports, sends patrol pings and handles cases through the API:
    a district operator's live feed sees positions, new cases and acknowledgements."""
    from tests.integration.services.live.clients import LiveClient

    district = cell_points(engine)[0].district
    _, token, _ = token_of("operator", jurisdiction=district)
    feed = LiveClient(live_server, token)
    password = "sim-" + uuid.uuid4().hex
    sim = GridflowProcess(
        "e2e-simulate",
        ["simulate", "--base-url", live_server, "--workers", "4", "--speed", "600",
         "--reports-per-day", "3000", "--duration", "25", "--password", password],
        stack,
    )  # fmt: skip
    try:
        feed.wait_for("snapshot")
        feed.wait_for("worker_position", timeout_s=20)
        feed.wait_for("case_event", lambda m: m["type"] == "CaseDispatched", timeout_s=20)
        feed.wait_for(
            "case_event",
            lambda m: m["type"] == "CaseAcknowledged" and (m["actor"] or "").startswith("sim-"),
            timeout_s=25,
        )
    finally:
        feed.close()
        assert sim.proc.wait(timeout=40) == 0, sim.output()
        sim.stop()
