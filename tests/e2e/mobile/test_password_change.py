"""A worker whose password an admin reset signs in on the phone with the one-time password:
the phone shows its password-change screen and nothing else until a new password is chosen,
and shows it too when the server refuses a call with `password_change_required`."""

from __future__ import annotations

from services.auth.administration import reset_password
from tests.e2e.mobile.conftest import wait_until

CLEAR_FLAG = """async () => {
  const store = await import('/m/static/js/store.js');
  const session = await store.getValue('session');
  await store.setValue('session', { ...session, must_change: false });
}"""


def _one_time(engine, worker) -> str:
    with engine.begin() as conn:
        return reset_password(conn, worker.user_id)


def _sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(base + "/m/")
    page.wait_for_selector("body[data-ready=true]")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")


def test_a_reset_worker_must_choose_a_password_before_the_app_opens(
    phone, live_server, worker, engine, phone_shot
):
    one_time = _one_time(engine, worker)
    page = phone.new_page()
    _sign_in(page, live_server, worker.username, one_time)
    page.wait_for_selector("#password-view:not([hidden])")
    assert page.is_hidden("#app") and page.is_hidden("#tabs")
    assert page.inner_text("#password-view h2") == "修改密码"
    phone_shot(page, "mobile-password-change")
    page.click("#lang")
    wait_until(
        page, "document.querySelector('#password-view h2').textContent === 'Change password'"
    )
    page.click("#lang")

    page.fill("#old-password", "not-the-password")
    page.fill("#new-password", "my-own-passphrase")
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#password-error:not([hidden])")
    assert "当前密码不正确" in page.inner_text("#password-error")
    assert page.is_hidden("#app")

    page.fill("#old-password", one_time)
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#app:not([hidden])")
    page.wait_for_selector(f"#pos-cell[data-cell='{worker.home.code}']")
    assert page.is_hidden("#password-view")
    page.reload()
    page.wait_for_selector("#app:not([hidden])")
    assert page.is_hidden("#password-view")


def test_the_servers_refusal_opens_the_password_screen(phone, live_server, worker, engine):
    """The phone forgot the sign-in's answer (its stored flag cleared): the server's 403
    `password_change_required` on its first call brings the screen up all the same."""
    page = phone.new_page()
    _sign_in(page, live_server, worker.username, _one_time(engine, worker))
    page.wait_for_selector("#password-view:not([hidden])")
    page.evaluate(CLEAR_FLAG)
    refused: list[int] = []
    page.on("response", lambda r: refused.append(r.status) if r.status == 403 else None)
    page.reload()
    page.wait_for_selector("#password-view:not([hidden])")
    assert refused and page.is_hidden("#app")
