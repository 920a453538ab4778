"""A report made with no network is kept on the phone, survives a reload, and is delivered
exactly once when the network comes back."""

from __future__ import annotations

from sqlalchemy import text

from tests.e2e.mobile.conftest import sign_in

EXPOSED_GARBAGE = "201001"


def fill_report(page, description: str, photo=None) -> None:
    page.click("#category-button")
    page.fill("#picker-search", "暴露垃圾")
    page.click(f"#picker-list button[data-code='{EXPOSED_GARBAGE}']")
    page.fill("#description", description)
    if photo is not None:
        page.set_input_files("#photo-input", str(photo))
        page.wait_for_selector("#photo-list .thumb img")


def test_offline_report_survives_reload_and_is_delivered_once(
    phone, live_server, worker, engine, photo_file, phone_shot
):
    page = phone.new_page()
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
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

    phone.set_offline(False)
    page.wait_for_selector(f"#sent-list li[data-id='{report_id}'][data-state=sent]", timeout=20_000)
    assert page.is_hidden("#queue-badge")
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id::text, reporter_id FROM report WHERE reporter_id = :u"),
            {"u": worker.user_id},
        ).all()
    assert [r.id for r in rows] == [report_id]
    assert live_server + "/api/v1/reports" in posts
