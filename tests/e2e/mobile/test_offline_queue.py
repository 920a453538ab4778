"""A report made with no network is kept on the phone, survives a reload, is delivered
exactly once when the network comes back, and its status turns to dispatched on the page as
the router dispatches its case."""

from __future__ import annotations

from sqlalchemy import text

from tests.e2e.mobile.conftest import sign_in

EXPOSED_GARBAGE = "201001"


def fill_report(
    page, description: str, photo=None, search: str = "暴露垃圾", code: str = EXPOSED_GARBAGE
) -> None:
    page.click("#category-button")
    page.fill("#picker-search", search)
    page.click(f"#picker-list button[data-code='{code}']")
    page.fill("#description", description)
    if photo is not None:
        page.set_input_files("#photo-input", str(photo))
        page.wait_for_selector("#photo-list .thumb img")


def test_offline_report_survives_reload_is_delivered_once_and_shows_dispatched(
    pipeline, phone, live_server, worker, engine, photo_file, phone_shot
):
    page = phone.new_page()
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(str(f))))
    sign_in(page, live_server, worker.username)
    page.wait_for_selector(f"#pos-cell[data-cell='{worker.home.code}']")

    phone.set_offline(True)
    fill_report(page, "小区北门垃圾桶满溢", photo_file)
    page.click("#capture-submit")
    page.wait_for_selector("#queue-badge:not([hidden])")
    assert page.inner_text("#queue-badge") == "1"

    page.goto(live_server + "/m/#queue")
    response = page.reload()
    assert response is not None and response.from_service_worker
    page.wait_for_selector("body[data-ready=true]")
    item = page.wait_for_selector("#queue-list li[data-kind=report]")
    report_id = item.get_attribute("data-id")
    assert item.get_attribute("data-state") == "waiting"
    assert page.inner_text("#queue-badge") == "1"
    phone_shot(page, "mobile-queue-offline")

    page.click("a[data-tab=reports]")
    page.wait_for_selector(f"#report-list li[data-id='{report_id}'][data-status=waiting]")

    phone.set_offline(False)
    row = f"#report-list li.report[data-id='{report_id}']"
    page.wait_for_selector(f"{row}[data-status=dispatched]", timeout=20_000)
    assert page.inner_text(f"{row} .status") == "已派遣"
    assert page.is_hidden("#queue-badge")
    phone_shot(page, "mobile-reports-dispatched")
    with engine.connect() as conn:
        reports = conn.execute(
            text("SELECT id::text FROM report WHERE reporter_id = :u"), {"u": worker.user_id}
        ).scalars()
        assert list(reports) == [report_id]
        state = conn.execute(
            text("SELECT state FROM case_file WHERE report_id = :r"), {"r": report_id}
        ).scalar_one()
    assert state == "dispatched"
    assert posts.count(live_server + "/api/v1/reports") >= 1

    # The case's events reach the page over Socket.IO, too (live, or replayed on reconnect).
    def dispatched_live() -> bool:
        return any(
            ('"case_events"' in f or '"replay"' in f)
            and report_id in f
            and '"state":"dispatched"' in f
            for f in frames
        )

    for _ in range(100):
        if dispatched_live():
            break
        page.wait_for_timeout(100)
    assert dispatched_live()
