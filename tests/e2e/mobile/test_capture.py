"""The capture form: photos downscaled on the phone, at most six, handled on the spot with an
after photo, and the worker's recent categories first in the picker."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import text

from tests.e2e.mobile.conftest import sign_in
from tests.e2e.mobile.test_offline_queue import EXPOSED_GARBAGE, fill_report


def test_photos_are_downscaled_capped_at_six_and_an_on_the_spot_fix_carries_its_after_photo(
    phone, live_server, worker, engine, photo_file
):
    page = phone.new_page()
    sign_in(page, live_server, worker.username)
    page.wait_for_selector(f"#pos-cell[data-cell='{worker.home.code}']")
    fill_report(page, "路边小广告已当场清除")
    page.set_input_files("#photo-input", [str(photo_file)] * 7)
    page.wait_for_selector("#photo-list .thumb:nth-child(6) img")
    assert page.locator("#photo-list .thumb").count() == 6
    assert page.inner_text("#photo-count") == "现场照片（6/6）"
    page.locator("#photo-list .thumb .remove").first.click()
    assert page.locator("#photo-list .thumb").count() == 5

    page.check("#on-spot")
    page.click("#capture-submit")
    assert "处置后照片" in page.inner_text("#capture-error")
    page.set_input_files("#after-input", str(photo_file))
    page.wait_for_selector("#after-preview img")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.click("#capture-submit")
    page.click("a[data-tab=queue]")
    page.wait_for_selector("#sent-list li[data-state=sent]", timeout=15_000)

    with engine.connect() as conn:
        report = conn.execute(
            text("SELECT id, handled_on_spot FROM report WHERE reporter_id = :u"),
            {"u": worker.user_id},
        ).one()
        photos = conn.execute(
            text("SELECT kind, width, height FROM report_photo WHERE report_id = :r"),
            {"r": report.id},
        ).all()
    assert report.handled_on_spot is True
    assert sorted(p.kind for p in photos) == ["after"] + ["before"] * 5
    # 3000×2000 from the camera, 1600 px on the long side once on the server.
    assert {(p.width, p.height) for p in photos} == {(1600, 1067)}


def test_recent_categories_come_first_and_search_finds_english_names(phone, live_server, worker):
    page = phone.new_page()
    sign_in(page, live_server, worker.username)
    page.wait_for_selector(f"#pos-cell[data-cell='{worker.home.code}']")
    fill_report(page, "垃圾堆放")
    page.click("#capture-submit")
    page.wait_for_selector("#category-button:not(.chosen)")  # saved: the form starts afresh

    page.click("#category-button")
    page.wait_for_selector("#picker-list li.heading >> text=最近使用")
    assert page.locator("#picker-list li").first.inner_text() == "最近使用"
    assert (
        page.get_attribute("#picker-list button.category >> nth=0", "data-code") == EXPOSED_GARBAGE
    )

    found = page.locator("#picker-list button.category")
    page.fill("#picker-search", "street light")
    expect(found).to_have_count(1)
    assert found.get_attribute("data-code") == "101006"
    page.fill("#picker-search", "井盖")
    expect(found).to_have_count(4)
    page.fill("#picker-search", "没有这种类别")
    expect(page.locator("#picker-list")).to_have_text("没有匹配的类别")
