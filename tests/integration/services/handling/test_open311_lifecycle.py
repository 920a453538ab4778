"""An Open311 client follows its request received → dispatched → resolved → closed: the status
line, the agency, the due time and the after-photo right at each step in JSON and XML; the
specification's error answers; the coordinates in the client's own datum."""

from __future__ import annotations

import uuid
from datetime import datetime
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from geo.datum import from_wgs84
from services.auth.apikeys import create_client
from tests.integration.services.handling.loop import (
    captured_event,
    cell_point,
    resolve_through_api,
    task_of,
    verify_through_api,
)

BASE = "/open311/v2"
ZONE = ZoneInfo("Asia/Shanghai")
FIELDS = ("status", "status_notes", "agency_responsible", "expected_datetime",
          "updated_datetime", "media_url")  # fmt: skip


def _key(engine, datum: str = "wgs84") -> str:
    with engine.begin() as conn:
        return create_client(conn, f"app-{uuid.uuid4().hex[:6]}", datum=datum)


def _file(api, key: str, lat: float, lng: float, **extra):
    form = {"api_key": key, "service_code": "201001", "lat": str(lat), "long": str(lng),
            "description": "路边垃圾堆放", "phone": "13800001234", **extra}  # fmt: skip
    resp = api.post(f"{BASE}/requests.json", data=form)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()[0]


def _both(api, request_id: str, query: str = "") -> dict:
    """The request as JSON, after checking its XML form carries the same fields."""
    [shown] = api.get(f"{BASE}/requests/{request_id}.json{query}").get_json()
    xml = ET.fromstring(api.get(f"{BASE}/requests/{request_id}.xml{query}").data)
    for field in FIELDS:
        node = xml.find(f"request/{field}")
        assert node is not None, field
        assert (node.text or None) == (None if shown[field] is None else str(shown[field])), field
    return shown


def _local(at: datetime) -> str:
    local = at.astimezone(ZONE)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def test_a_request_from_received_to_closed(api, engine, login, cases):
    key = _key(engine)
    cell = cases.fresh_cell()
    made = _file(api, key, *cell_point(engine, cell))
    request_id = made["service_request_id"]

    received = _both(api, request_id)
    assert received["status"] == "open" and received["status_notes"] == "已受理，等待立案派遣"
    assert received["agency_responsible"] is None and received["media_url"] is None
    assert datetime.fromisoformat(received["expected_datetime"]) > datetime.fromisoformat(
        received["requested_datetime"])  # fmt: skip

    cases.route(captured_event(engine, made["token"]))
    with engine.connect() as conn:
        case = conn.execute(text(
            "SELECT k.id, k.resolve_due, d.name_zh, d.name_en FROM case_file k JOIN department d "
            "ON d.code = k.department_code WHERE k.report_id = :r"), {"r": made["token"]},
        ).one()  # fmt: skip
    dispatched = _both(api, request_id)
    assert dispatched["status"] == "open"
    due = _local(case.resolve_due)
    assert dispatched["status_notes"] == f"已派遣至{case.name_zh}，应于 {due} 前处置"
    assert dispatched["agency_responsible"] == case.name_zh
    assert datetime.fromisoformat(dispatched["expected_datetime"]) == case.resolve_due
    assert dispatched["updated_datetime"] > received["updated_datetime"]
    [english] = api.get(f"{BASE}/requests/{request_id}.json?locale=en").get_json()
    agency_en = case.name_en or case.name_zh
    assert english["status_notes"].startswith(f"Dispatched to {agency_en}; due by ")
    [by_header] = api.get(f"{BASE}/requests/{request_id}.json",
                          headers={"Accept-Language": "en-GB,en;q=0.9"}).get_json()  # fmt: skip
    assert by_header["status_notes"] == english["status_notes"]

    staff = login("department_staff", department=cases.events(case.id)[-1]["payload"][
        "department_code"])[1]  # fmt: skip
    resolve_through_api(api, staff, case.id)
    resolved = _both(api, request_id)
    assert resolved["status"] == "open"
    assert resolved["status_notes"] == f"{case.name_zh}已处置完毕，等待现场核查"
    assert resolved["media_url"].startswith("http://localhost/t/photos/")
    photo = api.get(resolved["media_url"].removeprefix("http://localhost"))
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert photo.data[:2] == b"\xff\xd8" and photo.headers["X-Robots-Tag"] == "noindex"
    photo.close()

    worker = cases.worker(cell)[1]
    task = task_of(api, worker, request_id)
    assert verify_through_api(api, worker, task["id"], True, photo=False).status_code == 200
    closed = _both(api, request_id)
    assert closed["status"] == "closed" and closed["status_notes"] == "已办结"
    assert closed["media_url"] == resolved["media_url"]
    assert closed["updated_datetime"] >= resolved["updated_datetime"]
    listed = api.get(f"{BASE}/requests.json?service_request_id={request_id}").get_json()
    assert listed == [closed]

    with engine.begin() as conn:
        conn.execute(text("UPDATE report SET photos_hidden = true WHERE id = :r"),
                     {"r": made["token"]})  # fmt: skip
    assert _both(api, request_id)["media_url"] is None
    assert api.get(resolved["media_url"].removeprefix("http://localhost")).status_code == 404


def _errors(resp, status: int, field: str) -> None:
    assert resp.status_code == status, resp.data
    if resp.mimetype == "text/xml":
        root = ET.fromstring(resp.data)
        assert root.tag == "errors"
        assert root.find("error/code").text == str(status)
        assert field in root.find("error/description").text
    else:
        [error] = resp.get_json()
        assert error["code"] == status and field in error["description"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_specifications_error_answers(api, engine, cases, fmt):
    key = _key(engine)
    lat, lng = cell_point(engine, cases.fresh_cell())
    body = {"service_code": "201001", "lat": str(lat), "long": str(lng)}
    url = f"{BASE}/requests.{fmt}"
    _errors(api.post(url, data=body), 403, "api_key")
    _errors(api.post(url, data={**body, "api_key": "o311_wrong"}), 403, "api_key")
    _errors(api.post(url, data={**body, "api_key": key, "service_code": "999999"}), 400,
            "service_code")  # fmt: skip
    _errors(api.post(url, data={**body, "api_key": key, "jurisdiction_id": "999999"}), 400,
            "jurisdiction_id")  # fmt: skip
    _errors(api.post(url, data={**body, "api_key": key, "lat": "north"}), 400, "lat")
    _errors(api.get(f"{url}?jurisdiction_id=999999"), 404, "jurisdiction_id")
    _errors(api.get(f"{BASE}/services.{fmt}?jurisdiction_id=nowhere"), 404, "jurisdiction_id")
    _errors(api.get(f"{BASE}/services/999999.{fmt}"), 404, "service_code")
    _errors(api.get(f"{BASE}/requests/1.{fmt}"), 404, "service_request_id")
    known = api.post(url, data={**body, "api_key": key, "jurisdiction_id": "330211"})
    assert known.status_code == 201
    assert api.get(f"{BASE}/services.{fmt}?jurisdiction_id=330211").status_code == 200


def test_a_client_on_gcj02_sends_and_reads_its_own_datum(api, engine, cases):
    key = _key(engine, datum="gcj02")
    cell = cases.fresh_cell()
    lat, lng = cell_point(engine, cell)
    gcj_lat, gcj_lng = from_wgs84(lat, lng, "gcj02")
    assert abs(gcj_lat - lat) + abs(gcj_lng - lng) > 1e-3  # hundreds of metres apart
    made = _file(api, key, gcj_lat, gcj_lng)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT lat, lng, crs, cell_code FROM report WHERE id = :r"),
                           {"r": made["token"]}).one()  # fmt: skip
    assert row.cell_code == cell and row.crs == "gcj02"
    assert row.lat == pytest.approx(lat, abs=1e-7) and row.lng == pytest.approx(lng, abs=1e-7)
    [own] = api.get(f"{BASE}/requests/{made['service_request_id']}.json?api_key={key}").get_json()
    assert own["lat"] == pytest.approx(gcj_lat, abs=1e-7)
    assert own["long"] == pytest.approx(gcj_lng, abs=1e-7)
    [public] = api.get(f"{BASE}/requests/{made['service_request_id']}.json").get_json()
    assert (public["lat"], public["long"]) == (round(lat, 3), round(lng, 3))
