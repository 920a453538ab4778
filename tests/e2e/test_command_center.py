"""The command-center page in a real Chromium: live markers and ticker, reconnect without gaps
or duplicates, the case panel, the language switch."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from tests.e2e.isolated import own_module
from tests.e2e.live_pages import account, sign_in, ticker_ids
from tests.integration.services.grid_fixtures import cell_points

stack, engine, live_server, writer = own_module("cc")


@pytest.fixture(scope="module")
def cells(engine):
    return cell_points(engine)


@pytest.fixture()
def operator_page(page, live_server, engine, cells):
    page.on("console", lambda m: print(f"console {m.type}: {m.text}"))
    page.on("pageerror", lambda e: print(f"page error: {e}"))
    _, username = account(engine, "operator", jurisdiction=cells[0].street)
    sign_in(page, live_server, "/", username)
    return page


def test_missed_events_show_once_after_reconnecting(operator_page, writer, cells, screenshot):
    page = operator_page
    case_id = writer.new_case(cells[0].code)
    page.wait_for_selector(f"path.case-{case_id}", timeout=2000)
    page.wait_for_selector(f"#ticker li[data-case-id='{case_id}']", timeout=2000)

    page.evaluate("window.gridflowLive.socket.disconnect()")
    page.wait_for_selector("#connection.offline")
    missed = [
        writer.event(case_id, "CaseAcknowledged", department_code="sanitation"),
        writer.event(case_id, "CaseResolved", department_code="sanitation"),
    ]
    other = writer.new_case(cells[1].code)
    time.sleep(0.5)
    assert not set(missed) & set(ticker_ids(page)), "a cut-off page cannot have seen them"

    page.evaluate("window.gridflowLive.socket.connect()")
    page.wait_for_selector("#connection.online")
    for event_id in missed:
        page.wait_for_selector(f"#ticker li[data-event-id='{event_id}']", timeout=2000)
    page.wait_for_selector(f"path.case-{other}", timeout=2000)
    shown = ticker_ids(page)
    assert len(shown) == len(set(shown)), f"an event was shown twice: {shown}"
    assert page.locator(f"path.case-{case_id}.state-resolved").count() == 1
    page.mouse.move(600, 20)  # no tooltip over the map in the picture
    screenshot(page, "command-center")


def test_a_page_cut_before_its_replay_came_asks_again_from_where_it_was_whole(
    operator_page, writer, cells
):
    """Live events reach a connection before its replay: a page that showed one and lost the
    connection before the replay came must not resume past the events the replay held."""
    page = operator_page
    case_id = writer.new_case(cells[0].code)
    page.wait_for_selector(f"#ticker li[data-case-id='{case_id}']", timeout=2000)
    page.evaluate("window.gridflowLive.socket.disconnect()")
    page.wait_for_selector("#connection.offline")
    # Written while the page was away, well before the live event below (past the replay's
    # reach below a cursor: services.live.replay).
    missed = writer.event(case_id, "CaseAcknowledged", department_code="sanitation", ago_s=30)
    # The next connection's replay never reaches the page (as if cut before it came).
    page.evaluate("""() => {
        const socket = window.gridflowLive.socket;
        window.heldReplay = socket.listeners("replay");
        socket.off("replay");
        socket.connect();
    }""")
    page.wait_for_selector("#connection.online")
    live = writer.event(case_id, "CaseResolved", department_code="sanitation")
    page.wait_for_selector(f"#ticker li[data-event-id='{live}']", timeout=3000)
    assert missed not in ticker_ids(page)

    page.evaluate("""() => {
        const socket = window.gridflowLive.socket;
        socket.disconnect();
        for (const listener of window.heldReplay) socket.on("replay", listener);
        socket.connect();
    }""")
    page.wait_for_selector(f"#ticker li[data-event-id='{missed}']", timeout=3000)
    shown = ticker_ids(page)
    assert len(shown) == len(set(shown)), f"an event was shown twice: {shown}"


def test_cases_open_before_the_page_opens_are_drawn_from_its_snapshot(
    page, live_server, engine, writer, cells
):
    """Cases whose events all came before the page connected reach it only through the
    snapshot (older events are history): their markers, tooltips and cell shading."""
    cell = cells[4]
    plain = writer.new_case(cell.code)
    late = writer.new_case(cell.code)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE case_file SET ack_due = now() - interval '1 minute' WHERE id = :id"),
            {"id": late},
        )
        case_no = conn.execute(
            text("SELECT case_no FROM case_file WHERE id = :id"), {"id": plain}
        ).scalar_one()
    _, username = account(engine, "operator", jurisdiction=cell.street)
    sign_in(page, live_server, "/", username)
    page.wait_for_selector(f"path.case-{plain}.state-dispatched:not(.overdue)", timeout=2000)
    page.wait_for_selector(f"path.case-{late}.state-dispatched.overdue", timeout=2000)
    page.hover(f"path.case-{plain}")
    tooltip = page.locator(".leaflet-tooltip").first
    tooltip.wait_for(timeout=2000)
    assert tooltip.inner_text() == f"{case_no} · 已派遣 · 花坛"
    # Two open cases, one of them overdue: the cell is shaded red.
    fill = page.wait_for_function(
        """code => {
          let fill = null;
          window.gridflowMap.eachLayer((layer) => {
            const p = layer.feature && layer.feature.properties;
            if (p && (p.code === code || p.cell_code === code)) fill = layer.options.fillColor;
          });
          return fill;
        }""",
        arg=cell.code,
        timeout=5000,
    ).json_value()
    assert fill == "#ef5350"


def test_a_departments_open_cases_fill_its_console_from_the_snapshot(
    page, live_server, engine, writer, cells
):
    case_id = writer.new_case(cells[4].code, department="e2e-console", description="井盖松动")
    _, username = account(engine, "department_staff", department="e2e-console")
    sign_in(page, live_server, "/console", username)
    card = page.locator(f"article[data-case-id='{case_id}'][data-state='dispatched']")
    card.wait_for(timeout=2000)
    assert card.locator(".description").inner_text() == "井盖松动"
    assert "花坛" in card.locator(".meta").inner_text()
    with engine.connect() as conn:
        due = conn.execute(
            text("SELECT ack_due FROM case_file WHERE id = :id"), {"id": case_id}
        ).scalar_one()
    countdown = card.locator(".countdown")
    assert (
        int(countdown.get_attribute("data-due"))
        == int(due.timestamp()) * 1000 + due.microsecond // 1000
    )
    assert countdown.inner_text() not in ("", "—")


def test_report_text_is_shown_inert(operator_page, writer, cells):
    page = operator_page
    case_id = writer.new_case(cells[2].code, description="<img src=x onerror=alert(1)>井盖缺失")
    page.wait_for_selector(f"path.case-{case_id}", timeout=2000)
    page.click(f"#ticker li[data-case-id='{case_id}']")
    panel = page.locator("#case-panel")
    panel.wait_for(state="visible")
    assert "<img src=x onerror=alert(1)>井盖缺失" in panel.inner_text()
    assert panel.locator("img[src=x]").count() == 0
    assert panel.locator(".timeline li").count() >= 2


def test_language_switch(operator_page):
    page = operator_page
    assert page.locator("#kpi-captured .label").inner_text() == "今日采集"
    page.click("#lang")
    assert page.locator("#kpi-captured .label").inner_text() == "Captured today"
    page.click("#lang")
    assert page.locator("#kpi-captured .label").inner_text() == "今日采集"


def test_pages_send_a_content_security_policy(live_server):
    import requests

    for path in ("/", "/console"):
        policy = requests.get(live_server + path, timeout=10).headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy


def test_a_page_whose_server_dies_catches_up_from_the_next_one(page, engine, writer, cells, stack):
    """The server process is killed while events happen; the page reconnects by itself to the
    server started in its place and shows every missed event once."""
    from tests.processes import GridflowProcess, free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    first = GridflowProcess("e2e-serve-dies", ["serve", "--port", str(port)], stack)
    second = None
    try:
        first.wait_for_port(port)
        _, username = account(engine, "operator", jurisdiction=cells[3].street)
        sign_in(page, url, "/", username)
        case_id = writer.new_case(cells[3].code)
        page.wait_for_selector(f"#ticker li[data-case-id='{case_id}']", timeout=2000)

        first.kill()
        page.wait_for_selector("#connection.offline", timeout=5000)
        missed = [
            writer.event(case_id, "CaseAcknowledged", department_code="sanitation"),
            writer.event(case_id, "CaseResolved", department_code="sanitation"),
        ]
        second = GridflowProcess("e2e-serve-again", ["serve", "--port", str(port)], stack)
        second.wait_for_port(port)
        page.wait_for_selector("#connection.online", timeout=10_000)
        for event_id in missed:
            page.wait_for_selector(f"#ticker li[data-event-id='{event_id}']", timeout=2000)
        shown = ticker_ids(page)
        assert len(shown) == len(set(shown)), f"an event was shown twice: {shown}"
        assert page.locator(f"path.case-{case_id}.state-resolved").count() == 1
    finally:
        first.stop()
        if second is not None:
            second.stop()
