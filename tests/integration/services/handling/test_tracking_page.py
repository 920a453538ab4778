"""The public tracking page /t/<token>: the status and the public timeline of a resident's
request and nothing internal, one rating after closure, the lookup by case number and the
phone's last four digits, rate limits, never indexed."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import text

from services.auth.apikeys import create_client
from tests.integration.services.handling.loop import (
    captured_event,
    cell_point,
    task_of,
    verify_through_api,
)

STAFF_NOTE = "王师傅带两名工人清理完毕"


def _request(api, engine, cases, phone: str = "13800004321") -> tuple[dict, str]:
    with engine.begin() as conn:
        key = create_client(conn, f"app-{uuid.uuid4().hex[:6]}")
    cell = cases.fresh_cell()
    lat, lng = cell_point(engine, cell)
    resp = api.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "201001", "lat": str(lat), "long": str(lng),
        "description": "垃圾桶满溢", "first_name": "李", "last_name": "四", "phone": phone,
        "email": "li@example.cn"})  # fmt: skip
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()[0], cell


def _page(api, token: str, lang: str = "zh", address: str = "10.20.0.1"):
    resp = api.get(f"/t/{token}?lang={lang}", environ_base={"REMOTE_ADDR": address})
    return resp, resp.get_data(as_text=True)


def _visible(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def _department(engine, report_id: str):
    with engine.connect() as conn:
        sql = ("SELECT k.id, k.department_code, d.name_zh FROM case_file k JOIN department d "
               "ON d.code = k.department_code WHERE k.report_id = :r")  # fmt: skip
        return conn.execute(text(sql), {"r": report_id}).one()


def test_the_page_follows_the_request_to_one_rating(api, engine, login, cases):
    made, cell = _request(api, engine, cases)
    token = made["token"]
    resp, html = _page(api, token)
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    assert resp.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert "已受理，等待立案派遣" in html and made["service_request_id"] in html
    assert 'id="rating"' not in html

    cases.route(captured_event(engine, token))
    case = _department(engine, token)
    _, html = _page(api, token)
    assert f"已派遣至{case.name_zh}" in html

    staff_id, staff = login("department_staff", department=case.department_code)
    base = f"/api/v1/department/cases/{case.id}"
    assert api.post(f"{base}/acknowledge", headers=staff).status_code == 200
    from tests.integration.services.handling.loop import photo_part

    resolved = api.post(f"{base}/resolve", headers=staff, content_type="multipart/form-data",
                        data={"note": STAFF_NOTE, "photo": photo_part("green")})  # fmt: skip
    assert resolved.status_code == 200
    early = api.post(f"/t/{token}/rating", json={"rating": "satisfied"},
                     environ_base={"REMOTE_ADDR": "10.20.0.2"})  # fmt: skip
    assert early.status_code == 409 and early.get_json()["error"]["field"] == "state"

    worker = cases.worker(cell)[1]
    task = task_of(api, worker, made["service_request_id"])
    assert verify_through_api(api, worker, task["id"], True, photo=False).status_code == 200
    resp, html = _page(api, token)
    shown = _visible(html)
    assert "已办结" in shown and f"{case.name_zh}处置完毕" in shown
    assert re.search(r'<img id="after-photo" src="/t/photos/[0-9a-f-]{36}"', html)
    # nothing internal: no staff note, no account names, no contact of the reporter
    with engine.connect() as conn:
        sql = "SELECT DISTINCT actor FROM case_event WHERE case_id = :c AND actor IS NOT NULL"
        actors = set(conn.execute(text(sql), {"c": case.id}).scalars())
    for secret in (STAFF_NOTE, "13800004321", "li@example.cn", "李", *actors):
        assert secret not in html, secret
    assert 'id="rating"' in html and "不满意" in html

    bad = api.post(f"/t/{token}/rating", json={"rating": "great"},
                   environ_base={"REMOTE_ADDR": "10.20.0.2"})  # fmt: skip
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "rating"
    rated = api.post(f"/t/{token}/rating", json={"rating": "basically_satisfied",
                     "comment": "处理及时"}, environ_base={"REMOTE_ADDR": "10.20.0.2"})  # fmt: skip
    assert rated.status_code == 200, rated.get_json()
    again = api.post(f"/t/{token}/rating", json={"rating": "satisfied"},
                     environ_base={"REMOTE_ADDR": "10.20.0.2"})  # fmt: skip
    assert again.status_code == 409
    _, html = _page(api, token)
    assert "您的评价：</strong>基本满意" in html and 'id="rating"' not in html
    assert "已评价：基本满意" in _visible(html)
    _, english = _page(api, token, "en")
    assert "Your rating" in english and "Basically satisfied" in english
    assert "Closed" in _visible(english) and 'lang="en"' in english
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT rating, comment, rated_by FROM case_rating "
                                   "WHERE case_id = :c"), {"c": case.id}).one()  # fmt: skip
    assert tuple(stored) == ("basically_satisfied", "处理及时", "reporter")

    with engine.begin() as conn:
        conn.execute(text("UPDATE report SET photos_hidden = true WHERE id = :r"), {"r": token})
    _, html = _page(api, token)
    assert "after-photo" not in html and "/t/photos/" not in html


def test_the_lookup_finds_a_request_by_number_and_phone_digits(api, engine, cases):
    made, _ = _request(api, engine, cases, phone="+86 138-0000-5678")
    url, where = "/t/lookup", {"REMOTE_ADDR": "10.20.1.1"}
    found = api.post(url, json={"case_no": made["service_request_id"], "phone_last4": "5678"},
                     environ_base=where)  # fmt: skip
    assert found.status_code == 200
    assert found.get_json() == {"token": made["token"], "url": f"/t/{made['token']}"}
    wrong = api.post(url, json={"case_no": made["service_request_id"], "phone_last4": "0000"},
                     environ_base=where)  # fmt: skip
    assert wrong.status_code == 404 and wrong.get_json()["error"]["field"] == "case_no"
    bad = api.post(url, json={"case_no": made["service_request_id"], "phone_last4": "56"},
                   environ_base=where)  # fmt: skip
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "phone_last4"
    page = api.get("/t", environ_base=where)
    assert page.status_code == 200 and "手机号后四位" in page.get_data(as_text=True)
    assert page.headers["X-Robots-Tag"] == "noindex, nofollow"


def test_guessing_is_rate_limited_and_internal_reports_are_not_tracked(api, engine, cases):
    where = {"REMOTE_ADDR": "10.20.2.1"}
    answers = [
        api.post(
            "/t/lookup",
            json={"case_no": "33021100000000", "phone_last4": f"{n:04d}"},
            environ_base=where,
        ).status_code  # fmt: skip
        for n in range(12)
    ]
    assert answers[0] == 404 and answers[-1] == 429
    grid = cases.case("201001")  # a grid worker's report: internal
    missing = api.get(f"/t/{grid['report']['id']}", environ_base={"REMOTE_ADDR": "10.20.2.2"})
    assert missing.status_code == 404 and "未找到该案件" in missing.get_data(as_text=True)
    ghost = api.get(f"/t/{uuid.uuid4()}", environ_base={"REMOTE_ADDR": "10.20.2.2"})
    assert ghost.status_code == 404
    rating = api.post(f"/t/{grid['report']['id']}/rating", json={"rating": "satisfied"},
                      environ_base={"REMOTE_ADDR": "10.20.2.2"})  # fmt: skip
    assert rating.status_code == 404 and rating.get_json()["error"]["field"] == "token"
