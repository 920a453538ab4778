"""Accounts administered in the browser: a worker created with two cells picked on the map sees
them on the phone and is cut off there as soon as they are disabled; a sheet with bad rows shows
every one of them and writes nothing until fixed; other roles are refused the page; a one-time
password is replaced before anything else."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import text

from tests.e2e.live_pages import account
from tests.integration.services.accounts import PASSWORD
from tests.integration.services.grid_fixtures import cell_points

PHONE = {"width": 360, "height": 740}


def admin_page(page, base: str, engine, role: str = "admin", **scope) -> str:
    """Signs a fresh account of `role` in on /admin; returns its username."""
    _, username = account(engine, role, **scope)
    page.goto(base + "/admin")
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.click("#login-form button[type=submit]")
    return username


def pick_cell(page, code: str) -> None:
    """Finds a cell on the editor's map and clicks it."""
    page.fill("#cell-find", code)
    page.click("#cell-go")
    page.click(f"#cell-map path.cell-{code}", timeout=10_000)
    page.wait_for_selector(f"#f-cells li[data-code='{code}']")


def usernames(engine, names: list[str]) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT username FROM app_user WHERE username = ANY(:n) ORDER BY username"),
            {"n": names},
        )
        return [r[0] for r in rows]


def test_a_worker_given_two_cells_on_the_map_sees_them_and_is_cut_when_disabled(
    browser, page, live_server, engine, screenshot
):
    cells = cell_points(engine)
    first, second = cells[0], cells[1]
    admin_page(page, live_server, engine)
    page.wait_for_selector("#admin-main:not([hidden])")
    page.click("#account-new")
    name = f"gw-{uuid.uuid4().hex[:8]}"
    page.fill("#f-username", name)
    page.fill("#f-password", "first-password-1")
    page.fill("#f-display", "赵网格")
    pick_cell(page, first.code)
    pick_cell(page, second.code)
    screenshot(page, "admin-account-editor")
    page.click("#account-form button[type=submit]")
    row = page.wait_for_selector(f"#account-table tr[data-username='{name}']")
    assert row.query_selector(".place").inner_text() == ", ".join(sorted([first.code, second.code]))
    assert row.query_selector(".state").inner_text() == "待改密码"

    phone = browser.new_context(
        locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True,
        permissions=["geolocation"], service_workers="allow",
        geolocation={"latitude": first.lat, "longitude": first.lng, "accuracy": 8},
    )  # fmt: skip
    try:
        screen = phone.new_page()
        frames: list[str] = []
        screen.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(str(f))))
        screen.goto(live_server + "/m/")
        screen.wait_for_selector("body[data-ready=true]")
        screen.fill("#username", name)
        screen.fill("#password", "first-password-1")
        screen.click("#login-form button[type=submit]")
        # A new account's password is one-time: the phone asks for the worker's own first.
        screen.wait_for_selector("#password-view:not([hidden])")
        screen.fill("#old-password", "first-password-1")
        screen.fill("#new-password", "my-own-passphrase")
        screen.click("#password-form button[type=submit]")
        screen.wait_for_selector("#app:not([hidden])")
        screen.click("#settings-link")
        shown = screen.wait_for_selector("#my-cells:has-text('负责网格')").inner_text()
        assert first.code in shown and second.code in shown
        deadline = time.monotonic() + 15
        while not any("snapshot" in f for f in frames) and time.monotonic() < deadline:
            screen.wait_for_timeout(100)
        assert any("snapshot" in f for f in frames), "the phone's live feed never opened"

        row.query_selector("button:has-text('停用')").click()
        page.wait_for_selector(f"#account-table tr[data-username='{name}'].inactive")
        cut_at = time.monotonic()
        screen.wait_for_selector("#login-view:not([hidden])", timeout=10_000)
        # The server's own check of open sockets is every 15 s: this came from the disabling.
        assert time.monotonic() - cut_at < 5
        assert "重新登录" in screen.inner_text("#login-note")
    finally:
        phone.close()


def test_a_sheet_with_two_bad_rows_shows_both_and_writes_nothing_until_fixed(
    page, live_server, engine, tmp_path, screenshot
):
    cells = [c.code for c in cell_points(engine)]
    admin_page(page, live_server, engine)
    page.wait_for_selector("#admin-main:not([hidden])")
    names = sorted(f"im-{uuid.uuid4().hex[:8]}" for _ in range(3))
    header = "username,display_name,role,cells,jurisdiction\n"
    bad = tmp_path / "roster.csv"
    bad.write_text(header + f"{names[0]},甲,grid_worker,{cells[0]},\n"
                   f"{names[1]},乙,grid_worker,12345,\n{names[2]},丙,operator,,\n")  # fmt: skip
    page.set_input_files("#import-file", str(bad))
    page.click("#import-check")
    page.wait_for_selector("#import-errors tbody tr[data-line='4']")
    lines = page.eval_on_selector_all(
        "#import-errors tbody tr[data-line]", "rows => rows.map(r => r.dataset.line)"
    )
    assert lines == ["3", "4"]
    screenshot(page, "admin-import-errors")
    assert "有问题" in page.inner_text("#import-summary")
    assert page.is_disabled("#import-commit")
    assert usernames(engine, names) == []

    good = tmp_path / "roster-fixed.csv"
    good.write_text(header + f"{names[0]},甲,grid_worker,{cells[0]},\n"
                    f"{names[1]},乙,grid_worker,{cells[1]},\n"
                    f"{names[2]},丙,operator,,{cells[0][:9]}\n")  # fmt: skip
    page.set_input_files("#import-file", str(good))
    page.click("#import-check")
    page.wait_for_selector("#import-summary:has-text('全部无误')")
    assert usernames(engine, names) == []
    page.click("#import-commit")
    page.wait_for_selector("#import-summary:has-text('已导入')")
    assert len(page.query_selector_all("#import-errors tr.created")) == 3
    assert usernames(engine, names) == names


def test_other_roles_are_refused_and_a_one_time_password_is_replaced_first(
    page, live_server, engine
):
    admin_page(page, live_server, engine, "operator", jurisdiction="330211")
    page.wait_for_selector("#refused:not([hidden])")
    assert page.is_hidden("#admin-main")
    assert page.inner_text("#refused") == "此页面仅限系统管理员使用"

    _, username = account(engine, "grid_worker", cells=(cell_points(engine)[0].code,))
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE app_user SET must_change_password = true WHERE username = :u"),
            {"u": username},
        )
    page.evaluate("sessionStorage.clear()")
    page.goto(live_server + "/console")
    page.fill("#login-username", username)
    page.fill("#login-password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/password")
    page.wait_for_selector("#password-required:not([hidden])")
    page.fill("#old-password", PASSWORD)
    page.fill("#new-password", "short")
    page.fill("#new-password-2", "short")
    page.click("#password-form button[type=submit]")
    assert "新密码" in page.wait_for_selector("#password-error:not([hidden])").inner_text()
    page.fill("#old-password", PASSWORD)
    page.fill("#new-password", "my-own-passphrase")
    page.fill("#new-password-2", "my-own-passphrase")
    page.click("#password-form button[type=submit]")
    page.wait_for_selector("#password-done:not([hidden])")
    assert page.is_hidden("#password-required")
