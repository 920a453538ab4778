"""Supervision (督办) and urging (催办) by hand in real processes: the operator presses a case
from the command center's case panel, the event goes through the outbox relay, and the
department's open console puts the case on top with the note, live; a console opened
afterwards shows the same from its snapshot."""

from __future__ import annotations

import pytest

from tests.e2e.isolated import own_module
from tests.e2e.live_pages import account, sign_in
from tests.integration.services.grid_fixtures import cell_points
from tests.processes import GridflowProcess

stack, engine, live_server, writer = own_module("press")

DEPARTMENT = "e2e-press"


@pytest.fixture(scope="module")
def relay(stack, live_server):
    """`gridflow relay`: the operator's events reach the live feed through the outbox
    (started after the server, so the two do not start on a busy machine at once)."""
    process = GridflowProcess("e2e-press-relay", ["relay"], stack)
    try:
        yield process
    finally:
        process.stop()


def _cards(console) -> list[str]:
    return console.eval_on_selector_all(
        "#cases article.case-card", "cards => cards.map(c => c.dataset.caseId)"
    )


def _press(page, case_id: str, action: str, note: str) -> None:
    """Opens the case from the ticker and submits the panel's `action` form with `note`."""
    page.click(f"#ticker li[data-case-id='{case_id}'] >> nth=0")
    page.wait_for_selector(f"#case-panel[data-case-id='{case_id}']", timeout=5000)
    form = page.locator(f"#case-panel[data-case-id='{case_id}'] form.action-{action}")
    form.locator("input[name=note]").fill(note)
    form.locator("button[type=submit]").click()
    form.locator(".status.ok").wait_for(timeout=5000)


def test_a_pressed_case_goes_on_top_of_the_department_console_live(
    relay, browser, page, live_server, engine, writer
):
    cells = cell_points(engine)
    first = writer.new_case(cells[1].code, department=DEPARTMENT, description="路灯不亮")
    second = writer.new_case(cells[2].code, department=DEPARTMENT, description="井盖松动")
    _, staff = account(engine, "department_staff", department=DEPARTMENT)
    console_context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    try:
        console = console_context.new_page()
        sign_in(console, live_server, "/console", staff)
        console.locator(f"article[data-case-id='{second}']").wait_for(timeout=5000)
        assert _cards(console)[:2] == [first, second]  # nearest due time first
        assert console.locator("article.pressed").count() == 0

        _, operator = account(engine, "operator", jurisdiction=cells[0].street)
        sign_in(page, live_server, "/", operator)
        _press(page, second, "supervise", "今天下班前修好")
        top = console.locator("#cases article.case-card >> nth=0")
        console.wait_for_function(
            "id => document.querySelector('#cases article.case-card').dataset.caseId === id",
            arg=second, timeout=10_000,
        )  # fmt: skip
        assert top.locator(".pressed-kind").inner_text() == "督办"
        assert top.locator(".pressed-note").inner_text() == "今天下班前修好"
        # The operator's ticker shows it; the case panel opened from it has it in its timeline.
        page.click(f"#ticker li[data-case-id='{second}'].event-CaseSupervised")
        entry = page.locator("#case-panel .timeline li.event-CaseSupervised")
        entry.wait_for(timeout=10_000)
        assert entry.locator(".type").inner_text() == "人工督办"
        assert entry.locator(".note").inner_text() == "今天下班前修好"

        _press(page, first, "urge", "请尽快签收")
        console.wait_for_function(
            "id => document.querySelector('#cases article.case-card').dataset.caseId === id",
            arg=first, timeout=10_000,
        )  # fmt: skip
        assert top.locator(".pressed-kind").inner_text() == "催办"
        assert _cards(console)[:2] == [first, second]
        assert console.locator("article.pressed").count() == 2

        opened_later = console_context.new_page()  # a new tab: its own session and snapshot
        sign_in(opened_later, live_server, "/console", staff)
        later = opened_later.locator(f"article[data-case-id='{second}'].pressed")
        later.wait_for(timeout=5000)
        assert _cards(opened_later)[:2] == [first, second]
        shown = later.locator(".pressed-note").inner_text()
        assert shown == "今天下班前修好"
    finally:
        console_context.close()
