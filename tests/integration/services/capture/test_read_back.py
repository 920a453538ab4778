"""Reading reports back: my reports, one report with its timeline, my tasks, the catalog;
who may see what."""

import uuid

from sqlalchemy import text

from tests.integration.services.accounts import signed_in
from tests.integration.services.capture.payloads import report_body


def file(api, headers, point, **changes):
    resp = api.post("/api/v1/reports", json=report_body(point, **changes), headers=headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_my_reports_are_paged_newest_first_and_only_mine(api, engine, cells):
    _, mine = signed_in(api, engine, "grid_worker", cells=(cells[0].code,))
    _, theirs = signed_in(api, engine, "grid_worker", cells=(cells[0].code,))
    filed = [file(api, mine, cells[0], description=f"第{i}件") for i in range(3)]
    file(api, theirs, cells[0])
    page1 = api.get("/api/v1/me/reports?per_page=2", headers=mine).get_json()
    page2 = api.get("/api/v1/me/reports?per_page=2&page=2", headers=mine).get_json()
    assert page1["total"] == page2["total"] == 3
    ids = [r["id"] for r in page1["items"] + page2["items"]]
    assert ids == [r["id"] for r in reversed(filed)]
    assert (page1["page"], page1["per_page"]) == (1, 2)
    bad = api.get("/api/v1/me/reports?per_page=1000", headers=mine)
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "per_page"


def test_a_report_with_its_timeline_is_seen_by_its_reporter_and_those_over_its_place(
    api, engine, cells
):
    cell, other_street = cells[0], cells[-1]
    _, reporter = signed_in(api, engine, "grid_worker", cells=(cell.code,))
    report = file(api, reporter, cell)
    url = f"/api/v1/reports/{report['id']}"

    detail = api.get(url, headers=reporter)
    assert detail.status_code == 200
    body = detail.get_json()
    assert body["case_no"] == report["case_no"]
    assert [e["event"] for e in body["timeline"]] == ["reported"]

    allowed = [
        ("grid_worker", {"cells": (cell.code,)}),
        ("operator", {"jurisdiction": cell.district}),
        ("operator", {"jurisdiction": cell.street}),
        ("admin", {}),
    ]
    refused = [
        ("grid_worker", {"cells": (other_street.code,)}),
        ("operator", {"jurisdiction": other_street.street}),
        ("operator", {"jurisdiction": "110101"}),
        ("department_staff", {"department": "sanitation"}),
    ]
    for role, scope in allowed:
        _, headers = signed_in(api, engine, role, **scope)
        assert api.get(url, headers=headers).status_code == 200, (role, scope)
    for role, scope in refused:
        _, headers = signed_in(api, engine, role, **scope)
        resp = api.get(url, headers=headers)
        # Outside the scope answers as a missing report would: existence does not leak.
        assert resp.status_code == 404, (role, scope)
        photo = api.get(f"/api/v1/photos/{uuid.uuid4()}", headers=headers)
        assert photo.status_code == 404
    assert api.get(url).status_code == 401
    assert api.get(f"/api/v1/reports/{uuid.uuid4()}", headers=reporter).status_code == 404


def test_my_tasks_are_the_open_verification_tasks_of_my_cells(api, engine, cells):
    _, reporter = signed_in(api, engine, "grid_worker", cells=(cells[2].code,))
    report = file(api, reporter, cells[2])
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO verification_task (report_id, case_ref, cell_code, due_at) "
                "VALUES (:r, 'case-1', :c, now() + interval '1 hour')"
            ),
            {"r": report["id"], "c": cells[2].code},
        )
    _, same_cell = signed_in(api, engine, "grid_worker", cells=(cells[2].code,))
    _, elsewhere = signed_in(api, engine, "grid_worker", cells=(cells[3].code,))
    tasks = api.get("/api/v1/me/tasks", headers=same_cell).get_json()["items"]
    assert [(t["report_id"], t["case_no"], t["cell_code"]) for t in tasks] == [
        (report["id"], report["case_no"], cells[2].code)
    ]
    assert tasks[0]["category"]["code"] == report["category"]["code"]
    assert api.get("/api/v1/me/tasks", headers=elsewhere).get_json()["items"] == []
    _, operator = signed_in(api, engine, "operator", jurisdiction=cells[2].district)
    assert api.get("/api/v1/me/tasks", headers=operator).status_code == 403


def test_the_catalog_lists_components_and_events_for_signed_in_users(api, engine):
    assert api.get("/api/v1/categories").status_code == 401
    _, headers = signed_in(api, engine, "department_staff", department="greening")
    items = api.get("/api/v1/categories", headers=headers).get_json()["items"]
    assert len(items) >= 40
    assert {i["family"] for i in items} == {"component", "event"}
    cover = next(i for i in items if i["name_en"] == "Sewage manhole cover")
    assert cover["around_the_clock"] and cover["resolve_limit_minutes"] == 120
