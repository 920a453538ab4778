"""The department API: its own cases only, sorted by due time; acknowledge, return, resolve
with evidence, ask for more time; illegal moves are 409s that list what is allowed."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from tests.integration.services.handling.loop import jpeg

CELL = "330211009001001"


def _staff(login, department="greening"):
    return login("department_staff", department=department)[1]


def _act(api, headers, case_id, action, **kw):
    return api.post(f"/api/v1/department/cases/{case_id}/{action}", headers=headers, **kw)


def test_staff_see_their_own_department_s_cases_most_urgent_first(api, login, cases):
    first = cases.case("104001")  # 行道树 → greening
    second = cases.case("104001")
    elsewhere = cases.case("102001")  # 人行道破损 → municipal-roads
    assert (first["department_code"], elsewhere["department_code"]) == (
        "greening",
        "municipal-roads",
    )
    greening = _staff(login)
    resp = api.get("/api/v1/department/cases?per_page=200", headers=greening)
    assert resp.status_code == 200, resp.get_json()
    items = resp.get_json()["items"]
    ids = [i["id"] for i in items]
    assert str(first["id"]) in ids and str(second["id"]) in ids
    assert str(elsewhere["id"]) not in ids
    assert {i["department_code"] for i in items} == {"greening"}
    dues = [i["due"] for i in items]
    assert dues == sorted(dues)
    shown = next(i for i in items if i["id"] == str(first["id"]))
    assert shown["state"] == "dispatched" and shown["due"] == shown["ack_due"]
    assert shown["actions"] == ["dispatch", "acknowledge", "return", "request_extension"]

    other = api.get(f"/api/v1/department/cases/{elsewhere['id']}", headers=greening)
    assert other.status_code == 404
    missing = api.get("/api/v1/department/cases/00000000-0000-0000-0000-000000000000",
                      headers=greening)  # fmt: skip
    assert missing.status_code == 404
    assert missing.get_json()["error"] == {
        **other.get_json()["error"],
        "message": missing.get_json()["error"]["message"],
    }


def test_other_roles_are_refused(api, login):
    _, worker = login("grid_worker", cells=(CELL,))
    _, operator = login("operator", jurisdiction="330211")
    for headers in (worker, operator):
        assert api.get("/api/v1/department/cases", headers=headers).status_code == 403
    assert api.get("/api/v1/department/cases").status_code == 401


def test_acknowledge_then_an_illegal_move_is_a_409_listing_the_allowed_actions(api, login, cases):
    case = cases.case("104001")
    staff = _staff(login)
    resp = _act(api, staff, case["id"], "acknowledge", json={})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["state"] == "acknowledged"
    assert resp.get_json()["acknowledged_at"] is not None

    again = _act(api, staff, case["id"], "acknowledge", json={})
    assert again.status_code == 409
    error = again.get_json()["error"]
    assert error["details"]["state"] == "acknowledged"
    assert error["details"]["allowed"] == ["return", "resolve", "request_extension"]
    [ack] = [e for e in cases.events(case["id"]) if e["type"] == "CaseAcknowledged"]
    assert ack["actor"] and ack["actor"].startswith("department-staff-")
    assert ack["payload"]["department_code"] == "greening"


def test_another_department_cannot_act_on_the_case(api, login, cases):
    case = cases.case("104001")
    roads = _staff(login, "municipal-roads")
    assert _act(api, roads, case["id"], "acknowledge", json={}).status_code == 404
    assert cases.events(case["id"])[-1]["type"] == "CaseDispatched"


def test_return_needs_a_reason_and_lands_in_the_operators_queue(api, login, cases):
    case = cases.case("104001")
    staff = _staff(login)
    for body, field in (
        ({}, "reason"),
        ({"reason": "  "}, "reason"),
        ({"reason": "x", "why": "x"}, "why"),
    ):
        resp = _act(api, staff, case["id"], "return", json=body)
        assert resp.status_code == 422, body
        assert resp.get_json()["error"]["field"] == field
    resp = _act(api, staff, case["id"], "return", json={"reason": "不属于本部门职责"})
    assert resp.status_code == 200 and resp.get_json()["state"] == "returned"
    assert resp.get_json()["actions"] == ["dispatch"]

    _, operator = login("operator", jurisdiction="330211009")
    queue = api.get("/api/v1/operator/cases?queue=returned&per_page=200", headers=operator)
    assert str(case["id"]) in [i["id"] for i in queue.get_json()["items"]]
    [returned] = [e for e in cases.events(case["id"]) if e["type"] == "CaseReturned"]
    assert returned["payload"]["reason"] == "不属于本部门职责"


def test_resolve_with_photos_opens_the_verification_task_of_the_cell(api, login, cases):
    case = cases.case("104001")
    staff = _staff(login)
    early = _act(api, staff, case["id"], "resolve", data={"note": "已修剪"})
    assert early.status_code == 409 and "acknowledge" in early.get_json()["error"]["details"][
        "allowed"]  # fmt: skip
    assert _act(api, staff, case["id"], "acknowledge").status_code == 200

    nothing = _act(api, staff, case["id"], "resolve", json={"note": "  "})
    assert nothing.status_code == 422 and nothing.get_json()["error"]["field"] == "photo"
    bad = _act(
        api,
        staff,
        case["id"],
        "resolve",
        content_type="multipart/form-data",
        data={"note": "ok", "photo": (io.BytesIO(b"not a photo"), "a.jpg", "image/jpeg")},
    )
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "photo[0]"

    resp = _act(
        api,
        staff,
        case["id"],
        "resolve",
        content_type="multipart/form-data",
        data={"note": "已修剪", "photo": (io.BytesIO(jpeg()), "after.jpg", "image/jpeg")},
    )
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["state"] == "resolved"

    detail = api.get(f"/api/v1/department/cases/{case['id']}", headers=staff).get_json()
    [photo] = [p for p in detail["photos"] if p["kind"] == "resolution"]
    image = api.get(photo["url"], headers=staff)
    image.close()
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    [resolved] = [e for e in detail["timeline"] if e["type"] == "CaseResolved"]
    assert resolved["payload"]["evidence"] == [photo["id"]]
    assert resolved["payload"]["note"] == "已修剪"

    worker = cases.worker(case["cell_code"])[1]
    tasks = api.get("/api/v1/me/tasks", headers=worker).get_json()["items"]
    [task] = [t for t in tasks if t["case_no"] == case["case_no"]]
    assert task["cell_code"] == case["cell_code"] and task["due_at"] is not None
    elsewhere = cases.worker(cases.fresh_cell())[1]
    tasks = api.get("/api/v1/me/tasks", headers=elsewhere).get_json()["items"]
    assert case["case_no"] not in [t["case_no"] for t in tasks]


def test_an_extension_request_waits_for_an_operator(api, login, cases, engine):
    case = cases.case("104001")
    staff = _staff(login)
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    for body, field in (
        ({"requested_due": later}, "reason"),
        ({"requested_due": "2025-01-01T08:00:00", "reason": "x"}, "requested_due"),
        ({"requested_due": (datetime.now(UTC) - timedelta(hours=1)).isoformat(), "reason": "x"},
         "requested_due"),
    ):  # fmt: skip
        resp = _act(api, staff, case["id"], "extension", json=body)
        assert resp.status_code == 422, (body, resp.get_json())
        assert resp.get_json()["error"]["field"] == field

    resp = _act(api, staff, case["id"], "extension", json={"requested_due": later,
                                                         "reason": "需等待苗木"})  # fmt: skip
    assert resp.status_code == 200, resp.get_json()
    shown = resp.get_json()
    assert shown["extension"]["status"] == "pending"
    assert shown["actions"][-2:] == ["approve_extension", "reject_extension"]
    twice = _act(api, staff, case["id"], "extension", json={"requested_due": later,
                                                          "reason": "again"})  # fmt: skip
    assert twice.status_code == 409
    # The department cannot decide its own request.
    approve = f"/api/v1/operator/cases/{case['id']}/extension/approve"
    assert api.post(approve, json={}, headers=staff).status_code == 403

    _, operator = login("operator", jurisdiction="330211")
    resp = api.post(approve, json={}, headers=operator)
    assert resp.status_code == 200, resp.get_json()
    assert datetime.fromisoformat(resp.get_json()["resolve_due"]) == datetime.fromisoformat(later)
    assert resp.get_json()["extension"]["status"] == "approved"
    assert resp.get_json()["extension_count"] == 1
    again = api.post(approve, json={}, headers=operator)
    assert again.status_code == 409
    assert "request_extension" in again.get_json()["error"]["details"]["allowed"]
    types = [e["type"] for e in cases.events(case["id"])]
    assert types[-2:] == ["ExtensionRequested", "ExtensionApproved"]


def test_every_event_is_also_in_the_outbox_keyed_by_case(api, login, cases, engine):
    case = cases.case("104001")
    assert _act(api, _staff(login), case["id"], "acknowledge").status_code == 200
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT event_type, envelope->>'event_id' FROM outbox WHERE key = :k "
                 "AND topic = 'case-events.v1' ORDER BY id"), {"k": str(case["id"])},
        ).all()  # fmt: skip
        stored = conn.execute(
            text("SELECT type, event_id::text FROM case_event WHERE case_id = :c ORDER BY id"),
            {"c": case["id"]},
        ).all()
    assert [tuple(r) for r in rows] == [tuple(r) for r in stored]
    assert [r[0] for r in rows] == ["CaseRegistered", "CaseDispatched", "CaseAcknowledged"]


def test_a_re_dispatch_racing_an_acknowledge_leaves_the_old_department_out(
    api, login, cases, engine
):
    """The old department passed the view's look before the re-dispatch committed; under
    the case's lock the handler sees the case is no longer its own."""
    import threading
    import time

    case = cases.case("104001")
    assert case["department_code"] != "sanitation"
    old = login("department_staff", department=case["department_code"])[1]
    answers = {}
    with engine.connect() as holder:
        holder.begin()
        holder.execute(text("SELECT 1 FROM case_file WHERE id = :c FOR UPDATE"), {"c": case["id"]})
        acting = threading.Thread(
            target=lambda: answers.update(
                ack=api.post(f"/api/v1/department/cases/{case['id']}/acknowledge", headers=old)
            )
        )
        acting.start()
        deadline = time.monotonic() + 20
        while not _waits_for_a_lock(engine) and time.monotonic() < deadline:
            acting.join(0.01)
        assert _waits_for_a_lock(engine), "the acknowledge never reached the case's lock"
        holder.execute(text("UPDATE case_file SET department_code = 'sanitation' WHERE id = :c"),
                       {"c": case["id"]})  # fmt: skip
        holder.commit()
    acting.join(30)
    assert answers["ack"].status_code == 404, answers["ack"].get_json()
    with engine.connect() as conn:
        state = conn.execute(text("SELECT state FROM case_file WHERE id = :c"),
                             {"c": case["id"]}).scalar_one()  # fmt: skip
    assert state == "dispatched"


def _waits_for_a_lock(engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'")).scalar_one())  # fmt: skip
