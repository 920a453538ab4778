"""The end of a grid worker's report in "my reports": the department's resolution (note,
after-photo) once resolved, and the rating once rated; nothing before."""

from __future__ import annotations

from tests.integration.services.handling.loop import (
    resolve_through_api,
    task_of,
    verify_through_api,
)


def _mine(api, worker: dict, report_id: str) -> dict:
    items = api.get("/api/v1/me/reports?per_page=100", headers=worker).get_json()["items"]
    return next(r for r in items if r["id"] == report_id)


def test_my_reports_show_the_resolution_after_photo_and_rating(api, login, cases):
    case = cases.case("201001")
    worker = cases.worker(case["cell_code"])[1]
    report_id = case["report"]["id"]
    before = _mine(api, worker, report_id)
    assert before["resolution"] is None and before["rating"] is None

    staff = login("department_staff", department=case["department_code"])[1]
    resolve_through_api(api, staff, case["id"], note="已清理干净")
    resolved = _mine(api, worker, report_id)
    assert resolved["resolution"]["note"] == "已清理干净"
    photo = api.get(resolved["resolution"]["photo_url"], headers=worker)
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    photo.close()
    stranger = cases.worker(cases.fresh_cell())[1]
    refused = api.get(resolved["resolution"]["photo_url"], headers=stranger)
    assert refused.status_code == 404
    refused.close()

    task = task_of(api, worker, case["case_no"])
    assert verify_through_api(api, worker, task["id"], True, photo=False).status_code == 200
    rated = api.post(f"/api/v1/cases/{case['id']}/rating", json={"rating": "dissatisfied"},
                     headers=worker)  # fmt: skip
    assert rated.status_code == 200
    shown = _mine(api, worker, report_id)
    assert shown["status"] == "closed" and shown["rating"] == "dissatisfied"
    assert shown["resolution"] == resolved["resolution"]
