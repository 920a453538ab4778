"""Field verification (核查) and the reporter's rating: pass closes, fail (with a photo) sends
the case back to its department as rework; answers are idempotent; ratings once, closed only."""

from __future__ import annotations

import io
from datetime import datetime

from tests.integration.services.handling.loop import (
    resolve_through_api,
    task_of,
    verify_through_api,
)


def _resolved(api, login, cases, category="104001"):
    case = cases.case(category)
    staff = login("department_staff", department=case["department_code"])[1]
    resolve_through_api(api, staff, case["id"])
    worker = cases.worker(case["cell_code"])[1]
    return case, staff, worker, task_of(api, worker, case["case_no"])


def test_a_failed_verification_sends_the_case_back_as_rework(api, login, cases):
    case, staff, worker, task = _resolved(api, login, cases)
    no_photo = verify_through_api(api, worker, task["id"], False, "树枝未清走", photo=False)
    assert no_photo.status_code == 422 and no_photo.get_json()["error"]["field"] == "photo"

    resp = verify_through_api(api, worker, task["id"], False, "树枝未清走")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {
        "task_id": task["id"],
        "case_id": str(case["id"]),
        "state": "dispatched",
        "passed": False,
        "replayed": False,
    }
    shown = api.get(f"/api/v1/department/cases/{case['id']}", headers=staff).get_json()
    assert shown["state"] == "dispatched" and shown["rework_count"] == 1
    assert datetime.fromisoformat(shown["ack_due"]) > datetime.fromisoformat(
        shown["resolved_at"])  # fmt: skip
    types = [e["type"] for e in shown["timeline"]]
    assert types[-2:] == ["CaseVerified", "CaseReworked"]
    verified = shown["timeline"][-2]
    assert verified["payload"]["passed"] is False and verified["actor"].startswith("grid-worker")
    assert shown["timeline"][-1]["payload"]["rework_count"] == 1
    assert [p["kind"] for p in shown["photos"]].count("verification") == 1
    assert task_of(api, worker, case["case_no"]) is None

    # The phone resending the same answer gets the same outcome; nothing changes.
    again = verify_through_api(api, worker, task["id"], False, "树枝未清走")
    assert again.status_code == 200 and again.get_json()["replayed"] is True
    changed = verify_through_api(api, worker, task["id"], True)
    assert changed.status_code == 409 and changed.get_json()["error"]["field"] == "task_id"
    assert [e["type"] for e in cases.events(case["id"])].count("CaseReworked") == 1


def test_a_task_outside_the_workers_cells_does_not_exist_for_them(api, login, cases):
    case, _, _, task = _resolved(api, login, cases)
    stranger = cases.worker(cases.fresh_cell())[1]
    resp = verify_through_api(api, stranger, task["id"], True)
    assert resp.status_code == 404
    missing = verify_through_api(api, stranger, 999_999_999, True)
    assert missing.status_code == 404
    assert resp.get_json()["error"]["field"] == missing.get_json()["error"]["field"] == "task_id"
    staff = login("department_staff", department=case["department_code"])[1]
    assert verify_through_api(api, staff, task["id"], True).status_code == 403


def test_a_passed_verification_closes_and_the_reporter_rates_once(api, login, cases):
    case, staff, worker, task = _resolved(api, login, cases)
    rating = f"/api/v1/cases/{case['id']}/rating"
    early = api.post(rating, json={"rating": "satisfied"}, headers=worker)
    assert early.status_code == 409
    assert early.get_json()["error"]["details"]["allowed"] == ["verify_pass", "verify_fail"]

    resp = verify_through_api(api, worker, task["id"], True, "已核实", photo=False)
    assert resp.status_code == 200 and resp.get_json()["state"] == "closed"

    bad = api.post(rating, json={"rating": "great"}, headers=worker)
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "rating"
    stranger = cases.worker(cases.fresh_cell())[1]
    assert api.post(rating, json={"rating": "dissatisfied"}, headers=stranger).status_code == 404
    assert api.post(rating, json={"rating": "satisfied"}, headers=staff).status_code == 403

    ok = api.post(rating, json={"rating": "basically_satisfied", "comment": "还行"},
                  headers=worker)  # fmt: skip
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["rating"]["rating"] == "basically_satisfied"
    assert ok.get_json()["actions"] == []
    twice = api.post(rating, json={"rating": "satisfied"}, headers=worker)
    assert twice.status_code == 409
    types = [e["type"] for e in cases.events(case["id"])]
    assert types[-3:] == ["CaseVerified", "CaseClosed", "CaseRated"]


def test_an_operator_records_a_follow_up_rating_in_their_jurisdiction(api, login, cases):
    case, _, worker, task = _resolved(api, login, cases)
    assert verify_through_api(api, worker, task["id"], True).status_code == 200
    rating = f"/api/v1/cases/{case['id']}/rating"
    elsewhere = login("operator", jurisdiction="330211007")[1]
    assert api.post(rating, json={"rating": "satisfied"}, headers=elsewhere).status_code == 404
    operator = login("operator", jurisdiction="330211009")[1]
    resp = api.post(rating, json={"rating": "dissatisfied"}, headers=operator)
    assert resp.status_code == 200 and resp.get_json()["rating"]["rating"] == "dissatisfied"


def test_evidence_is_not_decoded_for_a_case_or_task_the_caller_may_not_act_on(api, login, cases):
    """Who may act is settled first: a stranger's upload is a 404 before any photo is read."""
    import json

    junk = (io.BytesIO(b"not an image at all"), "x.jpg", "image/jpeg")
    case = cases.case("104001")
    stranger = login("department_staff", department="sanitation")[1]
    path = f"/api/v1/department/cases/{case['id']}/resolve"
    form = {"note": "x", "photo": junk}
    resp = api.post(path, headers=stranger, content_type="multipart/form-data", data=form)
    assert resp.status_code == 404, resp.get_json()
    worker = login("grid_worker", cells=("330211009001001",))[1]
    junk = (io.BytesIO(b"not an image at all"), "x.jpg", "image/jpeg")
    form = {"verification": json.dumps({"passed": False}), "photo": junk}
    path = "/api/v1/me/tasks/999999999/verify"
    resp = api.post(path, headers=worker, content_type="multipart/form-data", data=form)
    assert resp.status_code == 404, resp.get_json()
