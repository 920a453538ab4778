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
