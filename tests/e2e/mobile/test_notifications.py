"""The grid worker hears of their own report's milestones in the phone app: when its case is
dispatched and when the department has resolved it, a banner drops in at the top of the page
(in Chinese first), the bell's badge counts the unread, and the list holds each milestone once
— also after the page is opened again."""

from __future__ import annotations

import pytest

from tests.e2e.mobile.casework import case_of, resolve_as_department
from tests.e2e.mobile.conftest import sign_in, wait_until
from tests.e2e.mobile.test_offline_queue import fill_report
from tests.processes import GridflowProcess


@pytest.fixture(scope="module")
def notifier(pipeline, config):
    """`gridflow notifier` beside the relay and the router, for this module's tests."""
    proc = GridflowProcess("e2e-mobile-notifier", ["notifier"], config)
    yield proc
    assert proc.stop() == 0, proc.output()


def _banner(page, text: str) -> str:
    page.wait_for_selector(f"#banner:not([hidden]):has-text('{text}')", timeout=30_000)
    return page.inner_text("#banner")


def test_a_worker_sees_dispatched_and_resolved_for_their_report(
    notifier, phone, live_server, worker, engine, phone_shot
):
    page = phone.new_page()
    sign_in(page, live_server, worker.username)
    page.wait_for_selector(f"#pos-cell[data-cell='{worker.home.code}']")
    assert page.is_visible("#notices-link") and page.is_hidden("#notice-badge")
    fill_report(page, "绿化带内堆放垃圾")
    page.click("#capture-submit")
    page.click("a[data-tab=queue]")
    report_id = page.wait_for_selector("#sent-list li[data-state=sent]").get_attribute("data-id")
    case = case_of(engine, report_id, "dispatched")

    shown = _banner(page, "已派遣至")
    assert "您的上报有新进展" in shown and case.case_no in shown
    wait_until(page, "document.querySelector('#notice-badge').textContent === '1'")
    phone_shot(page, "mobile-notification-banner")

    resolve_as_department(live_server, engine, case)
    shown = _banner(page, "已处置")
    assert case.case_no in shown
    wait_until(page, "document.querySelector('#notice-badge').textContent === '2'")

    page.click("#notices-link")
    page.wait_for_selector("#view-notices:not([hidden]) #notice-list li.notification")
    texts = page.locator("#notice-list li.notification .text").all_inner_texts()
    assert len(texts) == 2 and "已处置" in texts[0] and texts[1].startswith("已派遣至"), texts
    page.wait_for_selector("#notice-badge", state="hidden")
    assert page.locator("#notice-list li.notification.unread").count() == 0
    phone_shot(page, "mobile-notification-list")

    page.click("#lang")
    page.wait_for_selector("#notice-list li.notification .text:has-text('Dispatched to')")
    page.click("#lang")

    page.reload()  # each milestone once, read, whatever the socket and the list both brought
    page.wait_for_selector("body[data-ready=true]")
    page.click("#notices-link")
    page.wait_for_selector("#notice-list li.notification")
    wait_until(page, "document.querySelectorAll('#notice-list li.notification').length === 2")
    events = page.locator("#notice-list li.notification").evaluate_all(
        "rows => rows.map(r => r.dataset.event)")  # fmt: skip
    assert events == ["CaseResolved", "CaseDispatched"]
    assert page.is_hidden("#notice-badge")
