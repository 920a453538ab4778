"""The category catalog in the browser: a category's time limit changed on the page is stored
and shown; a file that is no catalog is refused with the reason, and nothing changes."""

from __future__ import annotations

from services.store import catalog
from tests.e2e.test_admin_accounts import admin_page

CODE = "102007"  # 隔离墩: reported by no other test


def _terms(engine) -> dict:
    with engine.connect() as conn:
        row = catalog.get_category(conn, CODE).__dict__
    return {k: row[k] for k in catalog.TERMS}


def test_a_time_limit_changed_on_the_page_is_stored(page, live_server, engine, tmp_path):
    before = _terms(engine)
    admin_page(page, live_server, engine)
    page.wait_for_selector("#admin-main:not([hidden])")
    page.click("a[href='#catalog']")
    page.fill("#cat-filter", "隔离墩")
    page.click(f"#cat-table tr[data-code='{CODE}'] button")
    try:
        page.fill("#c-resolve", str(before["resolve_limit_minutes"] + 7))
        page.fill("#c-dup-radius", "35")
        page.click("#cat-form button[type=submit]")
        limits = f"{before['ack_limit_minutes']} / {before['resolve_limit_minutes'] + 7}"
        page.wait_for_selector(f"#cat-table tr[data-code='{CODE}'] td.limits:has-text('{limits}')")
        after = _terms(engine)
        assert (after["resolve_limit_minutes"], after["duplicate_radius_m"]) == (
            before["resolve_limit_minutes"] + 7, 35)  # fmt: skip

        bad = tmp_path / "categories.yaml"
        bad.write_text("event:\n  '01':\n    zh: 市容\n", encoding="utf-8")
        page.set_input_files("#cat-file", str(bad))
        page.click("#cat-import")
        status = page.wait_for_selector("#cat-status.error").inner_text()
        assert status.startswith("文件：not a catalog file")
        assert _terms(engine) == after
    finally:
        with engine.begin() as conn:
            catalog.update_terms(conn, CODE, before)
