"""The screens at phone size (360×740), in Chinese and English; screenshots are saved to
tests/artifacts/screenshots/mobile-*.png. Nothing on the way may raise a script error."""

from __future__ import annotations

from tests.e2e.mobile.casework import case_of, resolve_as_department
from tests.e2e.mobile.conftest import sign_in
from tests.e2e.mobile.test_offline_queue import fill_report


def test_phone_screens(pipeline, phone, live_server, worker, engine, photo_file, phone_shot):
    page = phone.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server, worker.username)
    page.wait_for_selector(f"#pos-cell[data-cell='{worker.home.code}']")
    page.wait_for_selector("#capture-map .leaflet-interactive")

    fill_report(page, "人行道砖块松动，约两平方米，靠近公交站", photo_file)
    page.set_input_files("#photo-input", str(photo_file))
    page.wait_for_selector("#photo-list .thumb:nth-child(2) img")
    assert page.inner_text("#photo-count") == "现场照片（2/6）"
    phone_shot(page, "mobile-capture")

    page.click("#category-button")
    page.fill("#picker-search", "garbage")
    page.wait_for_selector("#picker-list button[data-code='201001']")
    phone_shot(page, "mobile-category-picker")
    page.click("#picker-close")

    phone.set_offline(True)
    page.click("#capture-submit")
    page.wait_for_selector("#queue-badge:not([hidden])")
    fill_report(page, "绿化带内有建筑垃圾", search="渣土", code="201003")
    page.click("#capture-submit")
    page.wait_for_selector("#queue-badge >> text=2")
    page.click("a[data-tab=queue]")
    page.wait_for_selector("#queue-list li[data-state=waiting] >> nth=1")
    phone_shot(page, "mobile-queue")

    phone.set_offline(False)
    page.wait_for_selector("#queue-badge[hidden]", state="attached", timeout=20_000)
    page.click("a[data-tab=reports]")
    page.wait_for_selector("#report-list li.report[data-status=dispatched] >> nth=1")
    phone_shot(page, "mobile-reports")

    report_id = page.get_attribute("#report-list li.report >> nth=0", "data-id")
    resolve_as_department(live_server, engine, case_of(engine, report_id, "dispatched"))
    page.click("a[data-tab=tasks]")
    task = page.wait_for_selector("#task-list li.task")
    assert "人行道砖块松动" in task.inner_text() or "绿化带" in task.inner_text()
    assert page.inner_text("#task-badge") == "1"
    phone_shot(page, "mobile-tasks")

    page.click("a[data-tab=map]")
    page.wait_for_selector("#cases-map .leaflet-interactive")
    page.wait_for_selector("#case-list li.case >> nth=1")
    phone_shot(page, "mobile-map")

    page.click("#lang")
    page.click("a[data-tab=capture]")
    assert page.inner_text("#capture-submit") == "Save and send"
    assert page.evaluate("document.documentElement.lang") == "en"
    phone_shot(page, "mobile-capture-en")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.inner_text("a[data-tab=queue]").endswith("Outbox")

    for target in ("#capture-submit", "#category-button", "a[data-tab=queue]", "#lang"):
        box = page.locator(target).bounding_box()
        assert box["height"] >= 40, target
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    assert errors == []
