"""A category's extra questions defined on the catalog page: saved with the category, listed
in its Open311 service definition; a bad question is refused naming it, and nothing changes."""

from __future__ import annotations

import requests

from services.store import catalog
from tests.e2e.test_admin_accounts import admin_page

CODE = "201006"  # 焚烧垃圾树叶: reported by no other test


def _questions(engine) -> list[dict]:
    with engine.connect() as conn:
        return list(catalog.get_category(conn, CODE).questions)


def test_a_question_defined_on_the_page_is_asked_in_open311(page, live_server, engine):
    admin_page(page, live_server, engine)
    page.wait_for_selector("#admin-main:not([hidden])")
    page.click("a[href='#catalog']")
    page.fill("#cat-filter", "焚烧")
    page.click(f"#cat-table tr[data-code='{CODE}'] button")
    try:
        page.click("#q-add")
        row = page.locator("#q-list .question").last
        row.locator(".q-code").fill("smoke")
        row.locator(".q-text-zh").fill("烟雾大小")
        row.locator(".q-text-en").fill("How much smoke")
        assert row.locator(".q-choices-field").is_hidden()
        row.locator(".q-kind").select_option("choice")
        row.locator(".q-choices").fill("少量，浓烟")
        row.locator(".q-required").check()
        page.click("#cat-form button[type=submit]")
        page.wait_for_selector(f"#cat-table tr[data-code='{CODE}'] td.asked:has-text('1')")
        assert _questions(engine) == [
            {"code": "smoke", "text_zh": "烟雾大小", "text_en": "How much smoke",
             "kind": "choice", "choices": ["少量", "浓烟"], "required": True}]  # fmt: skip
        definition = requests.get(f"{live_server}/open311/v2/services/{CODE}.json", timeout=10)
        smoke = next(a for a in definition.json()["attributes"] if a["code"] == "smoke")
        assert (smoke["datatype"], smoke["required"], [v["key"] for v in smoke["values"]]) == (
            "singlevaluelist", True, ["少量", "浓烟"])  # fmt: skip

        page.click(f"#cat-table tr[data-code='{CODE}'] button")
        assert page.locator("#q-list .question .q-code").input_value() == "smoke"
        page.click("#q-add")
        page.locator("#q-list .question").last.locator(".q-code").fill("smoke")
        page.locator("#q-list .question").last.locator(".q-text-zh").fill("又一个")
        page.click("#cat-form button[type=submit]")
        error = page.wait_for_selector("#cat-error:not([hidden])").inner_text()
        assert error.startswith("questions[1].code：") and "taken" in error
        assert [q["code"] for q in _questions(engine)] == ["smoke"]
    finally:
        with engine.begin() as conn:
            catalog.set_questions(conn, CODE, [])
