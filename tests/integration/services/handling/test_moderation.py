"""Moderation applies to every reader: what an operator hides or redacts is withheld from the
cell's grid worker, the department, the live map and the public alike; operators still see it.
Photos are private: no shared cache may keep one."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.auth.principal import DEPARTMENT_STAFF, OPERATOR, Principal
from services.live.details import case_detail as live_detail
from tests.integration.services.handling.loop import captured_event, cell_point, photo_part

STREET = "330211009"
TEXT = "张三家门口 13800000000 堆放垃圾"


@pytest.fixture()
def moderated(api, login, cases):
    """A routed case whose report has a photo, then redacted and its photos hidden by an
    operator of its street: (case id, report id, photo id, worker headers, cell)."""
    cell = cases.fresh_cell(STREET)
    _, worker = cases.worker(cell)
    lat, lng = cell_point(cases.engine, cell)
    body = {
        "id": str(uuid.uuid4()), "category": "104001", "description": TEXT,
        "location": {"lat": lat, "lng": lng, "crs": "wgs84", "accuracy_m": 5.0},
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
    }  # fmt: skip
    resp = api.post("/api/v1/reports", headers=worker, content_type="multipart/form-data",
                    data={"report": json.dumps(body), "photos": photo_part()})  # fmt: skip
    assert resp.status_code == 201, resp.get_json()
    report = resp.get_json()
    cases.route(captured_event(cases.engine, report["id"]))
    operator = login("operator", jurisdiction=STREET)[1]
    done = api.post(
        f"/api/v1/operator/reports/{report['id']}/moderate",
        headers=operator,
        json={"photos_hidden": True, "redacted": True, "reason": "含个人信息"},
    )
    assert done.status_code == 200, done.get_json()
    case_id = api.get(f"/api/v1/reports/{report['id']}", headers=operator).get_json()["case"]["id"]
    return case_id, report["id"], report["photos"][0]["id"], worker, operator


def test_the_cells_worker_sees_neither_the_text_nor_the_photos(api, moderated):
    case_id, report_id, photo_id, worker, _ = moderated
    shown = api.get(f"/api/v1/reports/{report_id}", headers=worker).get_json()
    assert shown["photos"] == [] and shown["description"] is None
    assert api.get(f"/api/v1/photos/{photo_id}", headers=worker).status_code == 404
    mine = api.get("/api/v1/me/reports", headers=worker).get_json()["items"]
    [listed] = [r for r in mine if r["id"] == report_id]
    assert listed["photos"] == [] and listed["description"] is None
    path = f"/api/v1/cases/{case_id}/photos/{photo_id}"
    assert api.get(path, headers=worker).status_code == 404


def test_the_department_sees_neither_and_operators_see_both(api, login, moderated):
    case_id, report_id, photo_id, _, operator = moderated
    staff = login("department_staff", department="greening")[1]
    shown = api.get(f"/api/v1/department/cases/{case_id}", headers=staff).get_json()
    assert shown["description"] is None and shown["address"] is None
    assert str(photo_id) not in json.dumps(shown)
    listed = api.get("/api/v1/department/cases?per_page=100", headers=staff).get_json()["items"]
    assert TEXT not in json.dumps(listed)

    full = api.get(f"/api/v1/operator/cases/{case_id}", headers=operator).get_json()
    assert full["description"] == TEXT and photo_id in json.dumps(full)
    report = api.get(f"/api/v1/reports/{report_id}", headers=operator).get_json()
    assert report["description"] == TEXT and len(report["photos"]) == 1
    served = api.get(f"/api/v1/photos/{photo_id}", headers=operator)
    served.close()
    assert served.status_code == 200 and served.headers["Cache-Control"] == "private, no-store"


def test_the_live_map_withholds_them_from_all_but_moderators(engine, moderated):
    case_id = str(moderated[0])
    staff = Principal(1, "staff", DEPARTMENT_STAFF, department_code="greening")
    shown = live_detail(engine, staff, case_id)
    assert shown["photos"] == [] and shown["report"]["description"] is None
    assert shown["case"]["summary"] is None
    operator = Principal(2, "op", OPERATOR, jurisdiction_code=STREET)
    full = live_detail(engine, operator, case_id)
    assert full["report"]["description"] == TEXT and len(full["photos"]) == 1


def test_photos_are_never_kept_by_a_shared_cache(api, login, cases):
    case = cases.case("104001")
    _, worker = cases.worker(case["cell_code"])
    staff = login("department_staff", department="greening")[1]
    base = f"/api/v1/department/cases/{case['id']}"
    assert api.post(f"{base}/acknowledge", headers=staff).status_code == 200
    resp = api.post(f"{base}/resolve", headers=staff, content_type="multipart/form-data",
                    data={"note": "处置完毕", "photo": photo_part("green")})  # fmt: skip
    assert resp.status_code == 200, resp.get_json()
    evidence = api.get(base, headers=staff).get_json()["photos"][0]["url"]
    served = api.get(evidence, headers=staff)
    served.close()
    assert served.status_code == 200
    assert served.headers["Cache-Control"] == "private, no-store"
