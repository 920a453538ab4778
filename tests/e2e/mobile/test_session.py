"""The worker's session: an expiring access token is refreshed without a word; a session
ended on the server asks the worker to sign in again, and nothing waiting is lost."""

from __future__ import annotations

from sqlalchemy import text

from tests.e2e.mobile.conftest import sign_in
from tests.e2e.mobile.test_offline_queue import fill_report
from tests.integration.services.accounts import PASSWORD, make_user

EXPIRE_ACCESS_TOKEN = """async () => {
  const store = await import('/m/static/js/store.js');
  const session = await store.getValue('session');
  await store.setValue('session', { ...session, expires_at: 0 });
}"""


def reports_of(engine, worker) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT id::text FROM report WHERE reporter_id = :u"), {"u": worker.user_id}
            ).scalars()
        )


def test_an_expiring_token_is_refreshed_quietly(phone, live_server, worker, engine):
    page = phone.new_page()
    refreshes: list[int] = []
    page.on(
        "response",
        lambda r: refreshes.append(r.status) if r.url.endswith("/api/v1/auth/refresh") else None,
    )
    sign_in(page, live_server, worker.username)
    page.wait_for_selector(f"#pos-cell[data-cell='{worker.home.code}']")
    page.evaluate(EXPIRE_ACCESS_TOKEN)

    fill_report(page, "消防栓漏水")
    page.click("#capture-submit")
    page.click("a[data-tab=queue]")
    item = page.wait_for_selector("#sent-list li[data-state=sent]", timeout=15_000)
    assert refreshes == [200]
    assert page.is_hidden("#login-view")
    assert reports_of(engine, worker) == [item.get_attribute("data-id")]


def test_a_session_ended_on_the_server_keeps_the_queue_until_signed_in_again(
    phone, live_server, worker, engine
):
    page = phone.new_page()
    sign_in(page, live_server, worker.username)
    page.wait_for_selector(f"#pos-cell[data-cell='{worker.home.code}']")
    phone.set_offline(True)
    fill_report(page, "共享单车乱停放堵塞盲道")
    page.click("#capture-submit")
    page.wait_for_selector("#queue-badge:not([hidden])")
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE auth_session SET revoked_at = now() WHERE user_id = :u"),
            {"u": worker.user_id},
        )

    phone.set_offline(False)
    page.wait_for_selector("#login-view:not([hidden])", timeout=15_000)
    assert "重新登录" in page.inner_text("#login-note")
    assert page.input_value("#username") == worker.username
    assert page.inner_text("#queue-badge") == "1"
    assert reports_of(engine, worker) == []

    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#app:not([hidden])")
    page.wait_for_selector("#queue-badge[hidden]", state="attached", timeout=15_000)
    assert len(reports_of(engine, worker)) == 1


def test_on_a_shared_phone_each_worker_sends_only_their_own_reports(
    phone, live_server, worker, engine
):
    page = phone.new_page()
    sign_in(page, live_server, worker.username)
    page.wait_for_selector(f"#pos-cell[data-cell='{worker.home.code}']")
    phone.set_offline(True)
    fill_report(page, "电动车楼道充电")
    page.click("#capture-submit")
    page.wait_for_selector("#queue-badge:not([hidden])")
    page.goto(live_server + "/m/#settings")
    page.click("#logout")
    page.wait_for_selector("#login-view:not([hidden])")
    phone.set_offline(False)

    colleague_id, colleague = make_user(engine, "grid_worker", cells=(worker.home.code,))
    page.fill("#username", colleague)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#app:not([hidden])")
    page.click("a[data-tab=queue]")
    page.wait_for_selector("#queue-list li.empty")
    page.wait_for_timeout(2000)
    assert reports_of(engine, worker) == []
    assert page.locator("#queue-badge[hidden]").count() == 1

    page.goto(live_server + "/m/#settings")
    page.click("#logout")
    page.fill("#username", worker.username)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.click("a[data-tab=queue]")
    page.wait_for_selector("#sent-list li[data-state=sent]", timeout=15_000)
    assert len(reports_of(engine, worker)) == 1
    with engine.connect() as conn:
        count = conn.execute(
            text("SELECT count(*) FROM report WHERE reporter_id = :u"), {"u": colleague_id}
        ).scalar_one()
    assert count == 0
