"""The operator's actions in the command center's case panel, in Chromium: register, reject,
merge into a suggested duplicate and un-merge within a day (later refused, and why), approve or
reject an extension, moderate the report (hide, redact, hide photos); a refusal (409 with the
actions allowed now) named in Chinese, or in English under the switch, never the API's words."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from services.cases.commands import MergeCase
from services.cases.operator import merge_case
from services.cases.uow import UnitOfWork
from tests.e2e.isolated import own_module
from tests.e2e.live_pages import account, sign_in
from tests.integration.services.grid_fixtures import cell_points

stack, engine, live_server, writer = own_module("acts")

DEPARTMENT = "e2e-acts"


@pytest.fixture()
def operator_page(page, live_server, engine):
    """The command center signed in as an operator of the test cells' street."""
    _, operator = account(engine, "operator", jurisdiction=_cells(engine)[0].street)
    sign_in(page, live_server, "/", operator)
    return page


def _cells(engine):
    """Points in nine cells of one street, the operator's."""
    return cell_points(engine, 10)[:9]


def _waiting(engine, writer, cell: str, description: str) -> str:
    """A case waiting for an operator (state `reported`)."""
    case_id = writer.new_case(cell, department=DEPARTMENT, description=description)
    with engine.begin() as conn:
        conn.execute(text("UPDATE case_file SET state = 'reported' WHERE id = :id"),
                     {"id": case_id})  # fmt: skip
    return case_id


def _case_no(engine, case_id: str) -> str:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT case_no FROM case_file WHERE id = :id"), {"id": case_id}
        ).scalar_one()


def _open(page, engine, case_id: str):
    """Finds the case by its number in the list and opens its panel; returns the panel once
    its operator actions are shown."""
    if page.locator("#case-panel").is_visible():
        page.click("#case-panel button.close")
    form = page.locator("#search-form")
    form.locator("input[name=number]").fill(_case_no(engine, case_id))
    with page.expect_response(lambda r: "/cases/search?" in r.url):
        form.locator("button[type=submit]").click()
    page.click(f"#search-results li[data-case-id='{case_id}']")
    panel = page.locator(f"#case-panel[data-case-id='{case_id}']")
    panel.locator("form.action-moderate").wait_for(timeout=10_000)
    return panel


def _submit(panel, action: str, **fields) -> str:
    """Fills and submits the panel's `action` form; returns the status it shows."""
    form = panel.locator(f"form.action-{action}")
    for name, value in fields.items():
        form.locator(f"input[name={name}]").fill(value)
    form.locator("button[type=submit]").click()
    status = form.locator(".status.ok, .status.failed")
    status.wait_for(timeout=10_000)
    return status.inner_text()


def _state(engine, case_id: str) -> str:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT state FROM case_file WHERE id = :id"), {"id": case_id}
        ).scalar_one()


def test_a_waiting_report_is_registered_or_rejected(operator_page, engine, writer):
    cells = _cells(engine)
    kept = _waiting(engine, writer, cells[1].code, "人行道地砖破损")
    panel = _open(operator_page, engine, kept)
    choice = panel.locator(
        f"form.action-register + ul.department-choices li[data-code='{DEPARTMENT}'] button.pick"
    )
    choice.wait_for(timeout=10_000)
    assert choice.inner_text() == DEPARTMENT  # its name (the writer names it by its code)
    choice.click()
    form = panel.locator("form.action-register")
    assert form.locator("input[name=department_code]").input_value() == DEPARTMENT
    assert _submit(panel, "register") == "已提交 · 已派遣"
    assert _state(engine, kept) == "dispatched"

    refused = _waiting(engine, writer, cells[2].code, "不属于城市管理范围")
    panel = _open(operator_page, engine, refused)
    assert panel.locator("form.action-register").count() == 1
    assert _submit(panel, "reject", reason="非城市管理事项") == "已提交 · 不予立案"
    assert _state(engine, refused) == "rejected"


def test_a_refusal_is_named_in_chinese_and_in_english_under_the_switch(
    operator_page, engine, writer
):
    case_id = _waiting(engine, writer, _cells(engine)[3].code, "垃圾桶满溢")
    panel = _open(operator_page, engine, case_id)
    # Meanwhile another operator registered and dispatched it.
    with engine.begin() as conn:
        conn.execute(text("UPDATE case_file SET state = 'dispatched' WHERE id = :id"),
                     {"id": case_id})  # fmt: skip
    shown = _submit(panel, "reject", reason="重复上报")
    assert shown == (
        "当前不能执行此操作：案件状态为「已派遣」，现在可执行：派遣、签收、退回、申请延期"
    )
    assert panel.locator("form.action-reject .status.refused").count() == 1

    operator_page.click("#lang")
    form = panel.locator("form.action-reject")
    form.locator("button[type=submit]").click()
    operator_page.wait_for_function(
        "el => el.textContent.startsWith('Not possible now')",
        arg=form.locator(".status").element_handle(), timeout=10_000,
    )  # fmt: skip
    assert form.locator(".status").inner_text() == (
        "Not possible now: the case is “Dispatched”; allowed now: dispatch, acknowledge, "
        "return, request an extension"
    )
    assert _state(engine, case_id) == "dispatched"


def test_a_waiting_report_is_merged_into_the_duplicate_the_panel_suggests(
    operator_page, engine, writer
):
    cell = _cells(engine)[4].code
    main = writer.new_case(cell, department=DEPARTMENT, description="路灯不亮")
    duplicate = _waiting(engine, writer, cell, "这里的路灯晚上不亮")
    panel = _open(operator_page, engine, duplicate)
    suggestion = panel.locator(f".merge-suggestions li[data-case-id='{main}']")
    suggestion.wait_for(timeout=10_000)
    assert panel.locator(f".merge-suggestions li[data-case-id='{duplicate}']").count() == 0
    assert "已派遣" in suggestion.inner_text()
    suggestion.locator("button.pick").click()
    form = panel.locator("form.action-merge")
    assert form.locator("input[name=duplicate_of]").input_value() == _case_no(engine, main)
    assert _submit(panel, "merge") == "已提交 · 已合并"
    assert _merge_of(engine, duplicate, main) == ("merged", main, 1)
    writer.case_ids.remove(duplicate)  # merged: it ends as it is, not closed by the writer


def _merge_of(engine, duplicate: str, main: str) -> tuple:
    """(state, merged into, main's duplicate count) of a duplicate and its main case."""
    with engine.connect() as conn:
        state, into, count = conn.execute(
            text("SELECT d.state, d.merged_into, m.duplicate_count FROM case_file d, case_file m "
                 "WHERE d.id = :d AND m.id = :m"), {"d": duplicate, "m": main},
        ).one()  # fmt: skip
    return state, str(into) if into else None, count


def _pending_extension(engine, writer, cell: str) -> str:
    case_id = writer.new_case(cell, department=DEPARTMENT, description="树木倒伏")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO case_extension (case_id, department_code, requested_by, "
                 "requested_at, requested_due, previous_due, reason) VALUES (:id, :dept, "
                 "'staff', :now, :due, :prev, '需要吊车')"),
            {"id": case_id, "dept": DEPARTMENT, "now": now, "due": now + timedelta(days=3),
             "prev": now + timedelta(hours=4)},
        )  # fmt: skip
    return case_id


def _extension_status(engine, case_id: str) -> str:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT status FROM case_extension WHERE case_id = :id"), {"id": case_id}
        ).scalar_one()


def test_a_pending_extension_is_approved_or_rejected(operator_page, engine, writer):
    cells = _cells(engine)
    approved = _pending_extension(engine, writer, cells[5].code)
    panel = _open(operator_page, engine, approved)
    assert panel.locator("form.action-reject_extension").count() == 1
    assert _submit(panel, "approve_extension") == "已提交 · 已派遣"
    assert _extension_status(engine, approved) == "approved"

    rejected = _pending_extension(engine, writer, cells[6].code)
    panel = _open(operator_page, engine, rejected)
    assert _submit(panel, "reject_extension", reason="时限内可完成") == "已提交 · 已派遣"
    assert _extension_status(engine, rejected) == "rejected"

    ordinary = writer.new_case(cells[7].code, department=DEPARTMENT)
    panel = _open(operator_page, engine, ordinary)
    assert panel.locator("form.action-approve_extension").count() == 0
    # Re-dispatch lists the departments the case may go to, the one holding it marked.
    holder = panel.locator("form.action-redispatch + ul.department-choices li.current")
    holder.wait_for(timeout=10_000)
    assert holder.get_attribute("data-code") == DEPARTMENT
    assert holder.inner_text() == f"{DEPARTMENT} {DEPARTMENT} · 当前承办"


def test_a_follow_up_rating_is_recorded_once(operator_page, engine, writer):
    case_id = writer.new_case(_cells(engine)[2].code, department=DEPARTMENT)
    with engine.begin() as conn:
        conn.execute(text("UPDATE case_file SET state = 'closed', closed_at = now() "
                          "WHERE id = :id"), {"id": case_id})  # fmt: skip
    panel = _open(operator_page, engine, case_id)
    form = panel.locator("form.action-rate")
    assert form.locator("option").all_inner_texts() == ["满意", "基本满意", "不满意"]
    form.locator("select[name=rating]").select_option("basically_satisfied")
    assert _submit(panel, "rate", comment="电话回访，基本满意") == "已提交 · 已结案"
    with engine.connect() as conn:
        rating = conn.execute(
            text("SELECT rating, comment FROM case_rating WHERE case_id = :id"), {"id": case_id}
        ).one()  # fmt: skip
    assert tuple(rating) == ("basically_satisfied", "电话回访，基本满意")
    # Rated once: a second try is refused in Chinese; opened again, the form is gone.
    form.locator("button[type=submit]").click()
    operator_page.wait_for_function(
        "el => el.classList.contains('refused')",
        arg=form.locator(".status").element_handle(), timeout=10_000,
    )  # fmt: skip
    assert form.locator(".status").inner_text() == (
        "当前不能执行此操作：案件状态为「已结案」，现在可执行：无"
    )
    panel = _open(operator_page, engine, case_id)
    assert panel.locator("form.action-rate").count() == 0


def test_a_report_is_moderated_from_the_panel(operator_page, engine, writer):
    case_id = writer.new_case(_cells(engine)[8].code, department=DEPARTMENT,
                              description="张三家门口乱堆放")  # fmt: skip
    panel = _open(operator_page, engine, case_id)
    form = panel.locator("form.action-moderate")
    assert form.locator("label").all_inner_texts() == ["对公众隐藏", "隐去描述", "隐藏照片"]
    form.locator("input[name=hidden]").check()
    form.locator("input[name=photos_hidden]").check()
    assert _submit(panel, "moderate", reason="含个人信息") == "已提交"
    with engine.connect() as conn:
        flags = conn.execute(
            text("SELECT r.hidden, r.redacted, r.photos_hidden FROM report r "
                 "JOIN case_file c ON c.report_id = r.id WHERE c.id = :id"), {"id": case_id},
        ).one()  # fmt: skip
    assert tuple(flags) == (True, False, True)

    form.locator("input[name=reason]").fill("")
    form.locator("button[type=submit]").click()
    assert form.locator(".status.failed").inner_text() == "操作失败，请检查：理由"

    panel = _open(operator_page, engine, case_id)  # opened again: as the report is now
    form = panel.locator("form.action-moderate")
    assert form.locator("input[name=hidden]").is_checked()
    assert not form.locator("input[name=redacted]").is_checked()
    assert form.locator("input[name=photos_hidden]").is_checked()


def _merged(engine, writer, cell: str, *, ago: timedelta) -> tuple[str, str]:
    """A waiting report merged `ago` into an open case of the same cell: (duplicate, main)."""
    main = writer.new_case(cell, department=DEPARTMENT, description="井盖缺失")
    duplicate = _waiting(engine, writer, cell, "这里井盖没了")
    with UnitOfWork(engine) as uow:
        merge_case(uow, MergeCase(uuid.UUID(duplicate), "operator-e2e", uuid.UUID(main)),
                   now=datetime.now(UTC) - ago)  # fmt: skip
        uow.commit()
    writer.case_ids.remove(duplicate)  # it ends as the test leaves it
    return duplicate, main


def test_a_merged_report_is_unmerged_within_a_day_and_refused_later(operator_page, engine, writer):
    duplicate, main = _merged(engine, writer, _cells(engine)[0].code, ago=timedelta(hours=3))
    panel = _open(operator_page, engine, duplicate)
    form = panel.locator("form.action-unmerge")
    assert form.locator("input[name=reason]").get_attribute("placeholder") == "撤销合并的理由"
    assert form.locator("button[type=submit]").inner_text() == "撤销合并"
    assert _submit(panel, "unmerge", reason="不是同一个井盖") == "已提交 · 上报"
    assert _merge_of(engine, duplicate, main) == ("reported", None, 0)
    panel = _open(operator_page, engine, duplicate)  # opened again: its own case, waiting
    assert panel.locator("form.action-register").count() == 1
    assert panel.locator("form.action-unmerge").count() == 0
    last = panel.locator("ol.timeline li").last
    assert last.locator(".type").inner_text() == "撤销合并"
    assert last.locator(".note").inner_text() == "不是同一个井盖"

    late, _ = _merged(engine, writer, _cells(engine)[1].code, ago=timedelta(days=1, minutes=5))
    panel = _open(operator_page, engine, late)
    assert _submit(panel, "unmerge", reason="发现不是同一处") == (
        "当前不能执行此操作：案件状态为「已合并」，现在可执行：无（合并已超过一天，不能撤销）"
    )
    assert panel.locator("form.action-unmerge .status.refused").count() == 1
    assert _state(engine, late) == "merged"
