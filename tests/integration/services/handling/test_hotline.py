"""The hotline intake through the operator API: the open cases of a category near a place,
a call filed as a report with channel `hotline` and the caller's contact, and a call attached
to an open case (merged into it by the router, counted among its duplicates)."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from tests.integration.services.handling.loop import captured_event, cell_point

STREET = "330211009"
OTHER_STREET = "330211019"  # a street no other test counts the cases of


def _call(api, headers, engine, cell, **changes):
    lat, lng = cell_point(engine, cell)
    body = {"id": str(uuid.uuid4()), "category": "104001", "description": "来电反映井盖松动",
            "location": {"lat": lat, "lng": lng, "crs": "wgs84"}, **changes}  # fmt: skip
    return api.post("/api/v1/operator/hotline/calls", json=body, headers=headers)


def _nearby(api, headers, **query):
    resp = api.get("/api/v1/operator/hotline/nearby", headers=headers, query_string=query)
    assert resp.status_code == 200, resp.get_json()
    return [c["id"] for c in resp.get_json()["items"]]


def test_open_cases_of_the_category_near_the_place_are_suggested(api, login, cases, engine):
    case = cases.case("104001")
    lat, lng = cell_point(engine, case["cell_code"])
    operator = login("operator", jurisdiction=STREET)[1]
    near = _nearby(api, operator, category="104001", lat=lat, lng=lng)
    assert str(case["id"]) in near
    assert str(case["id"]) not in _nearby(api, operator, category="201001", lat=lat, lng=lng)
    elsewhere = login("operator", jurisdiction=OTHER_STREET)[1]
    assert str(case["id"]) not in _nearby(api, elsewhere, category="104001", lat=lat, lng=lng)
    bad = api.get("/api/v1/operator/hotline/nearby", headers=operator,
                  query_string={"category": "104001", "lat": "north", "lng": lng})  # fmt: skip
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "lat"


def test_a_call_is_filed_as_a_hotline_report_with_the_callers_contact(api, login, cases, engine):
    operator = login("operator", jurisdiction=STREET)[1]
    cell = cases.fresh_cell(STREET)
    resp = _call(api, operator, engine, cell, caller_name="王先生", caller_phone="13800001111")
    assert resp.status_code == 201, resp.get_json()
    report = resp.get_json()
    cases.route(captured_event(engine, report["id"]))
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT r.channel, r.reporter_name, r.reporter_phone, c.state, c.cell_code "
                 "FROM report r JOIN case_file c ON c.report_id = r.id WHERE r.id = :id"),
            {"id": report["id"]},
        ).one()  # fmt: skip
    assert tuple(row) == ("hotline", "王先生", "13800001111", "dispatched", cell)
    query = {"phone": "13800001111", "channel": "hotline"}
    found = api.get("/api/v1/operator/cases/search", headers=operator, query_string=query)
    found = found.get_json()
    assert report["case_no"] in [c["case_no"] for c in found["items"]]


def test_a_call_attached_to_an_open_case_is_merged_into_it(api, login, cases, engine):
    target = cases.case("104001")
    operator = login("operator", jurisdiction=STREET)[1]
    far = cases.fresh_cell(STREET)  # outside the duplicate radius: the operator's choice alone
    resp = _call(api, operator, engine, far, caller_phone="13900002222",
                 attach_to=str(target["id"]))  # fmt: skip
    assert resp.status_code == 201, resp.get_json()
    cases.route(captured_event(engine, resp.get_json()["id"]))
    with engine.connect() as conn:
        merged = conn.execute(
            text("SELECT c.state, c.merged_into FROM case_file c JOIN report r ON "
                 "r.id = c.report_id WHERE r.id = :id"), {"id": resp.get_json()["id"]},
        ).one()  # fmt: skip
        count = conn.execute(text("SELECT duplicate_count FROM case_file WHERE id = :id"),
                             {"id": target["id"]}).scalar_one()  # fmt: skip
    assert (merged.state, merged.merged_into) == ("merged", target["id"])
    assert count == (target["duplicate_count"] or 0) + 1


def test_a_call_is_not_attached_to_a_closed_or_unseen_case(api, login, cases, engine):
    operator = login("operator", jurisdiction=STREET)[1]
    waiting = cases.case("104001", routed=False)
    rejected = api.post(f"/api/v1/operator/reports/{waiting['report']['id']}/reject",
                        json={"reason": "重复"}, headers=operator).get_json()  # fmt: skip
    cell = cases.fresh_cell(STREET)
    closed = _call(api, operator, engine, cell, attach_to=rejected["id"])
    assert closed.status_code == 409 and closed.get_json()["error"]["field"] == "attach_to"
    other = cases.case("104001", cases.fresh_cell(OTHER_STREET))
    unseen = _call(api, operator, engine, cell, attach_to=str(other["id"]))
    assert unseen.status_code == 404
    phone = _call(api, operator, engine, cell, caller_phone="call me")
    assert phone.status_code == 422 and phone.get_json()["error"]["field"] == "caller_phone"
