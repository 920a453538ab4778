"""A department resolves a case in the worker's cell: the verification task appears on the
worker's open page by itself; passing it (with a photo) closes the case, and the worker sees
the report closed."""

from __future__ import annotations

from sqlalchemy import text

from tests.e2e.mobile.casework import case_of, resolve_as_department
from tests.e2e.mobile.conftest import sign_in
from tests.e2e.mobile.test_offline_queue import fill_report


def test_a_task_appears_live_after_a_resolve_and_pass_closes_the_case(
    pipeline, phone, live_server, worker, engine, photo_file, phone_shot
):
    page = phone.new_page()
    sign_in(page, live_server, worker.username)
    page.wait_for_selector(f"#pos-cell[data-cell='{worker.home.code}']")
    fill_report(page, "楼道口堆放装修垃圾", photo_file)
    page.click("#capture-submit")
    page.click("a[data-tab=queue]")
    report_id = page.wait_for_selector("#sent-list li[data-state=sent]").get_attribute("data-id")
    case = case_of(engine, report_id, "dispatched")

    page.click("a[data-tab=tasks]")
    page.wait_for_selector("#task-list li.empty")
    resolve_as_department(live_server, engine, case)
    task = page.wait_for_selector(f"#task-list li.task[data-case-no='{case.case_no}']")
    assert "楼道口堆放装修垃圾" in task.inner_text()
    assert page.inner_text("#task-badge") == "1"
    phone_shot(page, "mobile-tasks-live")

    task_id = task.get_attribute("data-task")
    page.set_input_files(f"#task-photo-{task_id}", str(photo_file))
    page.wait_for_selector(f"#task-list li.task[data-task='{task_id}'] .thumb img")
    page.click(f"#task-list li.task[data-task='{task_id}'] button.pass")

    page.wait_for_selector(f"#task-list li.task[data-task='{task_id}']", state="detached")
    case_of(engine, report_id, "closed", timeout_s=15)
    page.click("a[data-tab=reports]")
    page.wait_for_selector(f"#report-list li.report[data-id='{report_id}'][data-status=closed]")
    with engine.connect() as conn:
        answered = conn.execute(
            text("SELECT status, passed FROM verification_task WHERE id = :t"), {"t": task_id}
        ).one()
    assert (answered.status, answered.passed) == ("done", True)
    assert page.is_hidden("#task-badge") and page.is_hidden("#queue-badge")


def test_fail_needs_a_reason_and_sends_the_case_back_for_rework(
    pipeline, phone, live_server, worker, engine, photo_file
):
    page = phone.new_page()
    sign_in(page, live_server, worker.username)
    page.wait_for_selector(f"#pos-cell[data-cell='{worker.home.code}']")
    fill_report(page, "路面坑洞", search="坑洞", code="102002")
    page.click("#capture-submit")
    page.click("a[data-tab=queue]")
    report_id = page.wait_for_selector("#sent-list li[data-state=sent]").get_attribute("data-id")
    resolve_as_department(live_server, engine, case_of(engine, report_id, "dispatched"))

    page.click("a[data-tab=tasks]")
    task = page.wait_for_selector("#task-list li.task")
    task_id = task.get_attribute("data-task")
    row = f"#task-list li.task[data-task='{task_id}']"
    page.click(f"{row} button.fail")
    page.wait_for_selector("#toast >> text=请先拍核查照片")
    page.set_input_files(f"#task-photo-{task_id}", str(photo_file))
    page.wait_for_selector(f"{row} .thumb img")
    page.click(f"{row} button.fail")
    page.wait_for_selector("#toast >> text=不通过请写明原因")
    page.fill(f"{row} textarea", "坑洞只填了一半")
    page.click(f"{row} button.fail")

    page.wait_for_selector(row, state="detached", timeout=15_000)
    case = case_of(engine, report_id, "dispatched")
    with engine.connect() as conn:
        rework, note = conn.execute(
            text(
                "SELECT c.rework_count, t.note FROM case_file c JOIN verification_task t "
                "ON t.case_id = c.id WHERE c.id = :c"
            ),
            {"c": case.id},
        ).one()
    assert (rework, note) == (1, "坑洞只填了一半")
