"""The end of a report on the grid worker's phone: while "my reports" is open, the department's
resolution with its after-photo appears by itself, then the closure and the rating."""

from __future__ import annotations

import io
import json

import requests
from PIL import Image

from tests.e2e.mobile.casework import case_of
from tests.e2e.mobile.conftest import sign_in, wait_until
from tests.e2e.mobile.test_offline_queue import fill_report
from tests.integration.services.accounts import make_user, tokens_over_http

NOTE = "已清运，地面已冲洗"


def _headers(base: str, username: str) -> dict:
    return {"Authorization": f"Bearer {tokens_over_http(base, username)[0]}"}


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (30, 160, 60)).save(out, "JPEG")
    return out.getvalue()


def test_my_reports_shows_the_resolution_after_photo_and_rating_live(
    pipeline, phone, live_server, worker, engine, phone_shot
):
    page = phone.new_page()
    sign_in(page, live_server, worker.username)
    page.wait_for_selector(f"#pos-cell[data-cell='{worker.home.code}']")
    fill_report(page, "垃圾桶旁散落垃圾")
    page.click("#capture-submit")
    page.click("a[data-tab=queue]")
    report_id = page.wait_for_selector("#sent-list li[data-state=sent]").get_attribute("data-id")
    case = case_of(engine, report_id, "dispatched")
    page.click("a[data-tab=reports]")
    row = f"#report-list li.report[data-id='{report_id}']"
    page.wait_for_selector(f"{row}[data-status=dispatched]")
    assert page.locator(f"{row} .resolution").count() == 0

    _, staff_name = make_user(engine, "department_staff", department=case.department_code)
    staff = _headers(live_server, staff_name)
    base = f"{live_server}/api/v1/department/cases/{case.id}"
    assert requests.post(f"{base}/acknowledge", headers=staff, timeout=10).status_code == 200
    photo = {"photo": ("after.jpg", _jpeg(), "image/jpeg")}
    resolved = requests.post(f"{base}/resolve", headers=staff, data={"note": NOTE}, files=photo,
                             timeout=10)  # fmt: skip
    assert resolved.status_code == 200, resolved.text

    page.wait_for_selector(f"{row}[data-status=resolved] .resolution .note", timeout=15_000)
    assert page.inner_text(f"{row} .resolution .note") == NOTE
    page.wait_for_selector(f"{row} .after-photo img")
    wait_until(
        page,
        f"(i => i && i.complete && i.naturalWidth === 320)("
        f'document.querySelector("{row} .after-photo img"))',
    )  # the thumbnail decoded

    mine = _headers(live_server, worker.username)
    tasks = requests.get(f"{live_server}/api/v1/me/tasks", headers=mine, timeout=10).json()
    task = next(t for t in tasks["items"] if t["case_no"] == case.case_no)
    verified = requests.post(f"{live_server}/api/v1/me/tasks/{task['id']}/verify", headers=mine,
                             files={"verification": (None, json.dumps({"passed": True}))},
                             timeout=10)  # fmt: skip
    assert verified.status_code == 200, verified.text
    page.wait_for_selector(f"{row}[data-status=closed]", timeout=15_000)
    rated = requests.post(f"{live_server}/api/v1/cases/{case.id}/rating", headers=mine,
                          json={"rating": "satisfied"}, timeout=10)  # fmt: skip
    assert rated.status_code == 200, rated.text
    page.wait_for_selector(f"{row} .rating[data-rating=satisfied]", timeout=15_000)
    assert page.inner_text(f"{row} .rating") == "评价：满意"
    assert page.inner_text(f"{row} .resolution .note") == NOTE
    phone_shot(page, "mobile-my-reports-resolved")
