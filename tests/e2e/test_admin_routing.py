"""Departments and routing rules in the browser: a rule added for one cell wins the preview
"which department would get a report here?" there, with the rule it outranks shown; a rule the
admission list forbids is refused in Chinese; deactivating a department says what becomes of
its open cases first."""

from __future__ import annotations

from services.cases.uow import UnitOfWork
from services.routing import rules
from services.routing.rulefile import load_demo_rules
from services.store import departments
from tests.e2e.live_pages import fresh_point
from tests.e2e.test_admin_accounts import admin_page
from tests.integration.services.grid_fixtures import cell_points


def _remove_rules_of(engine, cell: str) -> None:
    with engine.connect() as conn:
        ids = [r["id"] for r in departments.rule_rows(conn) if r["jurisdiction_code"] == cell]
    for rule_id in ids:
        with UnitOfWork(engine) as uow:
            rules.remove_rule(uow, rule_id, actor="e2e-cleanup")
            uow.commit()


def test_a_cell_rule_wins_the_preview_there(page, live_server, engine, screenshot):
    load_demo_rules(engine, actor="e2e-admin")
    cell, _, _ = fresh_point(engine, cell_points(engine)[0].street)
    admin_page(page, live_server, engine)
    page.wait_for_selector("#admin-main:not([hidden])")
    page.click("a[href='#routing']")
    page.wait_for_selector("#department-table tr[data-code='greening']")
    try:
        page.fill("#r-category", "201001")
        page.fill("#r-jurisdiction", cell)
        page.select_option("#r-department", "greening")
        page.click("#rule-form button[type=submit]")
        page.fill("#rule-filter-place", cell)
        page.wait_for_selector(f"#rule-table tbody tr:has-text('网格 {cell}')")
        first = page.query_selector("#rule-table tbody tr")
        assert f"网格 {cell}" in first.inner_text() and "园林绿化" in first.inner_text()

        page.select_option("#p-category", "201001")
        page.fill("#p-find", cell)
        page.click("#p-go")
        page.click(f"#preview-map path.cell-{cell}", timeout=10_000)
        answer = page.wait_for_selector("#preview-answer[data-department='greening']")
        assert f"网格 {cell} 命中规则" in answer.inner_text()
        chosen = page.query_selector("#preview-candidates tr[data-outcome='chosen']")
        assert chosen.get_attribute("data-department") == "greening"
        assert page.query_selector("#preview-candidates tr[data-outcome='outranked']")
        screenshot(page, "admin-rule-preview")
    finally:
        _remove_rules_of(engine, cell)


def test_admission_refusal_in_chinese_and_deactivation_says_what_happens(page, live_server, engine):
    load_demo_rules(engine, actor="e2e-admin")
    with engine.connect() as conn:
        [committee] = departments.department_rows(conn, ["community-007001"])
    admitted = set(committee["admitted_categories"])
    refused = next(c for c in ("104001", "104003", "301001", "105001") if c not in admitted)
    admin_page(page, live_server, engine)
    page.wait_for_selector("#admin-main:not([hidden])")
    page.click("a[href='#routing']")
    page.wait_for_selector("#department-table tr[data-code='community-007001']")
    page.fill("#r-category", refused)
    page.fill("#r-jurisdiction", "330211007001")
    page.select_option("#r-department", "community-007001")
    page.click("#rule-form button[type=submit]")
    error = page.wait_for_selector("#rule-error[data-code='not_admitted']")
    assert "准入清单不允许" in error.inner_text()

    page.click("#department-table tr[data-code='police'] button:has-text('停用')")
    text = page.wait_for_selector("#dept-confirm:not([hidden])").inner_text()
    assert "在办案件仍由其办理" in text and "不再有新案件派给该部门" in text
    page.click("#dept-confirm-no")
    assert page.is_hidden("#dept-confirm")
    with engine.connect() as conn:
        [police] = departments.department_rows(conn, ["police"])
    assert police["active"] is True
