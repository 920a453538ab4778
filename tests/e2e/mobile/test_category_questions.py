"""The report form asks the chosen category's extra questions: a required choice must be
answered before the report is saved, and the answer reaches the server with the report."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import text

from tests.e2e.mobile.conftest import sign_in, wait_until
from tests.integration.services.accounts import make_user, tokens_over_http

WATERLOGGING = "201007"  # 积水
DEPTH = {"code": "depth", "text_zh": "积水深度", "text_en": "Water depth", "kind": "choice",
         "choices": ["没过脚踝", "没过膝盖"], "required": True}  # fmt: skip
NOTE = {"code": "note", "text_zh": "周边情况", "text_en": "Around it", "kind": "text",
        "choices": [], "required": False}  # fmt: skip


def _set_questions(base: str, admin: str, questions: list[dict]) -> None:
    """As an admin sets them: through the serving process, which applies them at once (a change
    written straight to the database reaches its reports within QUESTIONS_TTL_S)."""
    resp = requests.put(
        f"{base}/api/v1/admin/categories/{WATERLOGGING}/questions",
        json={"questions": questions}, timeout=10,
        headers={"Authorization": f"Bearer {tokens_over_http(base, admin)[0]}"},
    )  # fmt: skip
    assert resp.status_code == 200, resp.text


@pytest.fixture()
def asked(engine, live_server):
    _, admin = make_user(engine, "admin")
    _set_questions(live_server, admin, [DEPTH, NOTE])
    yield
    _set_questions(live_server, admin, [])


def test_the_form_asks_the_categorys_questions_and_sends_the_answers(
    asked, phone, live_server, worker, engine, phone_shot
):
    page = phone.new_page()
    sign_in(page, live_server, worker.username)
    page.wait_for_selector(f"#pos-cell[data-cell='{worker.home.code}']")
    assert page.is_hidden("#questions")
    page.click("#category-button")
    page.fill("#picker-search", "积水")
    page.click(f"#picker-list button[data-code='{WATERLOGGING}']")
    page.wait_for_selector("#questions:not([hidden])")
    assert page.inner_text("label[for=question-depth]") == "积水深度 *"
    assert page.locator("#question-depth option").all_inner_texts() == [
        "请选择",
        "没过脚踝",
        "没过膝盖",
    ]
    page.fill("#description", "路口积水，车辆绕行")
    page.click("#capture-submit")
    assert page.inner_text("#capture-error") == "请回答：积水深度"
    page.click("#lang")
    wait_until(
        page, "document.querySelector('label[for=question-depth]').textContent === 'Water depth *'"
    )
    page.click("#lang")

    page.select_option("#question-depth", "没过膝盖")
    page.fill("#question-note", "旁边是小学门口")
    phone_shot(page, "mobile-category-questions")
    page.click("#capture-submit")
    page.click("a[data-tab=queue]")
    page.wait_for_selector("#sent-list li[data-state=sent]", timeout=15_000)
    with engine.connect() as conn:
        kept = conn.execute(
            text("SELECT attributes FROM report WHERE reporter_id = :u"), {"u": worker.user_id}
        ).scalar_one()
    assert kept == {"depth": "没过膝盖", "note": "旁边是小学门口"}
