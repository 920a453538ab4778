"""A resident follows an Open311 request on the public tracking page, on a phone-sized Chromium,
from received to rated: no account, Chinese first with the English switch."""

from __future__ import annotations

import io
import json
import uuid

import pytest
import requests
from PIL import Image
from sqlalchemy import text

from services.auth.apikeys import create_client
from services.calendars import calendars_from_config
from services.config import Config
from streams.router import make_router
from tests.e2e.live_pages import fresh_point
from tests.integration.services.accounts import make_user, tokens_over_http
from tests.integration.services.grid_fixtures import cell_points
from tests.integration.services.handling.loop import captured_event

PHONE = {"width": 360, "height": 740}


@pytest.fixture()
def phone(browser):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), "green").save(out, "JPEG")
    return out.getvalue()


def _headers(base: str, engine, role: str, **scope) -> dict:
    _, username = make_user(engine, role, **scope)
    return {"Authorization": f"Bearer {tokens_over_http(base, username)[0]}"}


def _case(engine, report_id: str):
    with engine.connect() as conn:
        return conn.execute(text("SELECT id, department_code, case_no FROM case_file "
                                 "WHERE report_id = :r"), {"r": report_id}).one()  # fmt: skip


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_resident_follows_a_request_from_received_to_rated(phone, live_server, engine,
                                                              screenshot):  # fmt: skip
    from services.routing.rulefile import load_demo_rules

    load_demo_rules(engine, actor="e2e-tracking")
    street = cell_points(engine)[0].street
    cell, lat, lng = fresh_point(engine, street)
    with engine.begin() as conn:
        key = create_client(conn, f"hotline-{uuid.uuid4().hex[:6]}")
    made = requests.post(f"{live_server}/open311/v2/requests.json", data={
        "api_key": key, "service_code": "201001", "lat": str(lat), "long": str(lng),
        "description": "小区门口垃圾堆放", "phone": "13900002468"}, timeout=10)  # fmt: skip
    assert made.status_code == 201, made.text
    token = made.json()[0]["token"]

    phone.goto(f"{live_server}/t/{token}")
    assert phone.locator("#status").inner_text() == "已受理，等待立案派遣"
    assert phone.locator("meta[name=robots]").get_attribute("content") == "noindex, nofollow"
    assert _fits_the_screen(phone)
    screenshot(phone, "tracking-received")

    make_router(engine, calendars_from_config(Config()))(captured_event(engine, token))
    case = _case(engine, token)
    phone.reload()
    assert phone.locator("#status").inner_text().startswith("已派遣至")
    assert phone.locator("#timeline li[data-type=CaseDispatched]").count() == 1

    staff = _headers(live_server, engine, "department_staff", department=case.department_code)
    base = f"{live_server}/api/v1/department/cases/{case.id}"
    assert requests.post(f"{base}/acknowledge", headers=staff, timeout=10).status_code == 200
    photo = {"photo": ("after.jpg", _jpeg(), "image/jpeg")}
    resolved = requests.post(f"{base}/resolve", headers=staff, data={"note": "已清运"},
                             files=photo, timeout=10)  # fmt: skip
    assert resolved.status_code == 200, resolved.text
    worker = _headers(live_server, engine, "grid_worker", cells=(cell,))
    tasks = requests.get(f"{live_server}/api/v1/me/tasks", headers=worker, timeout=10).json()
    task = next(t for t in tasks["items"] if t["case_no"] == case.case_no)
    verified = requests.post(f"{live_server}/api/v1/me/tasks/{task['id']}/verify", headers=worker,
                             files={"verification": (None, json.dumps({"passed": True}))},
                             timeout=10)  # fmt: skip
    assert verified.status_code == 200, verified.text

    phone.reload()
    assert phone.locator("#status").inner_text() == "已办结"
    phone.wait_for_function(
        "document.getElementById('after-photo').complete "
        "&& document.getElementById('after-photo').naturalWidth === 320"
    )
    phone.get_by_label("基本满意").check()
    phone.fill("#rating textarea[name=comment]", "清理及时，谢谢")
    screenshot(phone, "tracking-closed")
    phone.click("#rating button[type=submit]")
    phone.wait_for_selector("#rated")
    assert phone.locator("#rated").inner_text() == "您的评价：基本满意"
    assert phone.locator("#rating").count() == 0
    assert phone.locator("#timeline li[data-type=CaseRated]").inner_text().endswith(
        "已评价：基本满意")  # fmt: skip
    assert _fits_the_screen(phone)

    phone.click("#switch")
    phone.wait_for_url("**?lang=en")
    assert phone.locator("#status").inner_text() == "Closed"
    assert phone.locator("#rated").inner_text() == "Your rating: Basically satisfied"
    screenshot(phone, "tracking-rated-en")
    with engine.connect() as conn:
        rating = conn.execute(text("SELECT rating, comment FROM case_rating WHERE case_id = :c"),
                              {"c": case.id}).one()  # fmt: skip
    assert tuple(rating) == ("basically_satisfied", "清理及时，谢谢")
