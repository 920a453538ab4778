"""The server failing for a while: the queue keeps sending the same report (same UUID) with
backoff until the server takes it, and the server ends up with exactly one report."""

from __future__ import annotations

import json
import re

from sqlalchemy import text

from tests.e2e.mobile.conftest import sign_in
from tests.e2e.mobile.test_offline_queue import fill_report

REPORT_ID = re.compile(rb'"id":"([0-9a-f-]{36})"')


def test_503s_and_a_lost_answer_end_with_exactly_one_report(
    phone, live_server, worker, engine, photo_file, phone_shot
):
    page = phone.new_page()
    sign_in(page, live_server, worker.username)
    page.wait_for_selector(f"#pos-cell[data-cell='{worker.home.code}']")
    attempts: list[tuple[str, int]] = []

    def server_in_trouble(route):
        request = route.request
        if request.method != "POST":
            route.continue_()
            return
        report_id = REPORT_ID.search(request.post_data_buffer).group(1).decode()
        n = len(attempts) + 1
        if n == 1:
            # The report reaches the server, but its answer never reaches the phone.
            answer = route.fetch()
            attempts.append((report_id, answer.status))
            route.abort("connectionreset")
        elif n <= 4:
            attempts.append((report_id, 503))
            route.fulfill(
                status=503,
                content_type="application/json",
                headers={"Retry-After": "1"},
                body=json.dumps({"error": {"code": "unavailable", "message": "maintenance"}}),
            )
        else:
            answer = route.fetch()
            attempts.append((report_id, answer.status))
            route.fulfill(response=answer)

    page.route("**/api/v1/reports", server_in_trouble)
    fill_report(page, "井盖松动，行人易绊倒", photo_file)
    page.click("#capture-submit")
    page.click("a[data-tab=queue]")
    page.wait_for_selector("#queue-list li[data-state=waiting] .muted >> text=/已尝试 [2-9] 次/")
    phone_shot(page, "mobile-queue-retrying")

    item = page.wait_for_selector("#sent-list li[data-state=sent]", timeout=30_000)
    report_id = item.get_attribute("data-id")
    assert [a[1] for a in attempts] == [201, 503, 503, 503, 200]
    assert {a[0] for a in attempts} == {report_id}
    assert page.is_hidden("#queue-badge")
    with engine.connect() as conn:
        ids = conn.execute(
            text("SELECT id::text FROM report WHERE reporter_id = :u"), {"u": worker.user_id}
        ).scalars()
        assert list(ids) == [report_id]


def test_a_refused_report_waits_for_the_worker_with_the_reason_shown(
    phone, live_server, worker, engine, phone_shot
):
    page = phone.new_page()
    sign_in(page, live_server, worker.username)
    page.wait_for_selector(f"#pos-cell[data-cell='{worker.home.code}']")
    refused = {
        "error": {"code": "unprocessable", "message": "unknown category", "field": "category"}
    }
    page.route(
        "**/api/v1/reports",
        lambda route: route.fulfill(status=422, content_type="application/json",
                                    body=json.dumps(refused)),
    )  # fmt: skip
    fill_report(page, "路灯不亮")
    page.click("#capture-submit")
    page.click("a[data-tab=queue]")
    item = page.wait_for_selector("#queue-list li[data-state=attention]")
    assert "category" in item.inner_text() and "422" in item.inner_text()
    assert page.inner_text("#queue-badge") == "1"
    page.wait_for_timeout(2500)  # nothing is sent again by itself
    assert page.locator("#queue-list li[data-state=attention]").count() == 1
    phone_shot(page, "mobile-queue-attention")

    page.unroute("**/api/v1/reports")
    page.locator("#queue-list li[data-state=attention] button", has_text="立即重试").click()
    page.wait_for_selector("#sent-list li[data-state=sent]", timeout=15_000)
    with engine.connect() as conn:
        count = conn.execute(
            text("SELECT count(*) FROM report WHERE reporter_id = :u"), {"u": worker.user_id}
        ).scalar_one()
    assert count == 1
