"""The closed loop end to end on the real stack: capture → dispatch → acknowledge → resolve →
failed verification → rework → resolve → verify → close → rate, every step through the HTTP
API, with `gridflow relay` and `gridflow router` running as real processes; then the KPIs of
the case come out right and its whole history is on the case-events topic, in order.
"""

from __future__ import annotations

import io
import json
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from services.envelopes import CASE_EVENTS
from tests.integration.services.accounts import signed_in
from tests.integration.streams.stream_helpers import cell_point, read_topic, wait_until
from tests.processes import GridflowProcess

CELL = "330211015001001"
STREET = CELL[:9]
HISTORY = [
    "CaseRegistered", "CaseDispatched", "CaseAcknowledged", "CaseResolved", "CaseVerified",
    "CaseReworked", "CaseAcknowledged", "CaseResolved", "CaseVerified", "CaseClosed", "CaseRated",
]  # fmt: skip


def _photo(color: str):
    out = io.BytesIO()
    Image.new("RGB", (80, 60), color).save(out, "JPEG")
    return (io.BytesIO(out.getvalue()), f"{color}.jpg", "image/jpeg")


@pytest.fixture(scope="module")
def processes(topics, demo_rules):
    procs = [GridflowProcess(f"loop-{name}", [name], topics) for name in ("relay", "router")]
    yield procs
    codes = [p.stop() for p in procs]
    assert codes == [0, 0], [p.output() for p in procs]


def test_the_full_loop_through_the_api(processes, api, engine, topics):
    worker_id, worker = signed_in(api, engine, "grid_worker", cells=(CELL,))
    _, staff = signed_in(api, engine, "department_staff", department="sanitation")
    _, operator = signed_in(api, engine, "operator", jurisdiction=STREET)
    lat, lng = cell_point(engine, CELL)

    # 1. Capture: the worker files a report (exposed garbage, 暴露垃圾) with a photo.
    report = {
        "id": str(uuid.uuid4()),
        "category": "201001",
        "description": "路边垃圾堆放",
        "location": {"lat": lat, "lng": lng, "crs": "wgs84", "accuracy_m": 4.0},
        "occurred_at": datetime.now(ZoneInfo("UTC")).isoformat(),
    }
    resp = api.post("/api/v1/reports", headers=worker, content_type="multipart/form-data",
                    data={"report": json.dumps(report), "photos": _photo("brown")})  # fmt: skip
    assert resp.status_code == 201, resp.get_json()
    report_id = resp.get_json()["id"]

    # 2. Dispatch: the relay publishes it, the router registers and routes it.
    def dispatched():
        shown = api.get(f"/api/v1/reports/{report_id}", headers=worker).get_json()
        return shown if shown["status"] == "dispatched" else None

    shown = wait_until(dispatched, timeout_s=120)
    assert shown["case"]["department_code"] == "sanitation"
    case_id = shown["case"]["id"]
    # The list is ordered by due time; cases dispatched outside office hours share one (the next
    # opening plus the limit), so earlier suites' cases may fill the first pages.
    listed, page = [], 1
    while True:
        body = api.get(f"/api/v1/department/cases?per_page=200&page={page}", headers=staff)
        listed += [c["id"] for c in body.get_json()["items"]]
        if page * 200 >= body.get_json()["total"]:
            break
        page += 1
    assert case_id in listed

    def act(action, **kw):
        resp = api.post(f"/api/v1/department/cases/{case_id}/{action}", headers=staff, **kw)
        assert resp.status_code == 200, (action, resp.get_json())
        return resp.get_json()

    def resolve(note):
        return act("resolve", content_type="multipart/form-data",
                   data={"note": note, "photo": _photo("gray")})  # fmt: skip

    def verify(passed, note):
        [task] = [t for t in api.get("/api/v1/me/tasks", headers=worker).get_json()["items"]
                  if t["report_id"] == report_id]  # fmt: skip
        answer = {"verification": json.dumps({"passed": passed, "note": note})}
        if not passed:
            answer["photo"] = _photo("black")
        resp = api.post(f"/api/v1/me/tasks/{task['id']}/verify", headers=worker,
                        content_type="multipart/form-data", data=answer)  # fmt: skip
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()

    # 3–4. Acknowledge, resolve; 5. the check on site fails: rework.
    assert act("acknowledge")["state"] == "acknowledged"
    assert resolve("已清运")["state"] == "resolved"
    assert verify(False, "仍有残留垃圾")["state"] == "dispatched"
    # 6–8. Acknowledge and resolve again; the check passes: closed.
    assert act("acknowledge")["rework_count"] == 1
    assert resolve("已彻底清理")["state"] == "resolved"
    assert verify(True, "已核实")["state"] == "closed"
    # 9. The reporter rates it.
    rated = api.post(f"/api/v1/cases/{case_id}/rating", json={"rating": "satisfied"},
                     headers=worker)  # fmt: skip
    assert rated.status_code == 200, rated.get_json()

    detail = api.get(f"/api/v1/operator/cases/{case_id}", headers=operator).get_json()
    assert [e["type"] for e in detail["timeline"]] == HISTORY
    assert [p["kind"] for p in detail["photos"]] == [
        "before", "resolution", "verification", "resolution"]  # fmt: skip
    assert api.get(f"/api/v1/reports/{report_id}", headers=worker).get_json()["status"] == "closed"

    # The KPIs of the case, as the street's operator sees them.
    at = {}
    for event in detail["timeline"]:
        at.setdefault(event["type"], []).append(datetime.fromisoformat(event["at"]))
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    query = {"from": today, "to": today, "within": CELL}
    stats = api.get("/api/v1/stats/departments", headers=operator, query_string=query).get_json()
    [row] = stats["items"]
    assert row["code"] == "sanitation"
    kpis = row["kpis"]
    expected = {
        "cases": 1, "closed": 1, "closure_rate": 1.0, "due_for_closure": 1,
        "closed_on_time": 1, "on_time_closure_rate": 1.0, "resolutions": 2,
        "failed_verifications": 1, "rework_rate": 0.5, "dispatched": 1, "extension_rate": 0.0,
        "rated": 1, "satisfied": 1, "satisfaction_rate": 1.0,
    }  # fmt: skip
    assert {k: kpis[k] for k in expected} == expected
    first_dispatch = at["CaseDispatched"][0]
    assert kpis["acknowledge_median"] == pytest.approx(
        (at["CaseAcknowledged"][0] - first_dispatch).total_seconds())  # fmt: skip
    assert kpis["resolve_median"] == pytest.approx(
        (at["CaseResolved"][-1] - first_dispatch).total_seconds())  # fmt: skip
    received = datetime.fromisoformat(shown["received_at"])
    assert kpis["close_median"] == pytest.approx(
        (at["CaseClosed"][0] - received).total_seconds(), abs=1e-3)  # fmt: skip

    # The whole history reached Kafka through the outbox, in order, keyed by the case.
    def published():
        types = [r[1]["type"] for r in read_topic(topics, CASE_EVENTS) if r[0] == case_id]
        return types if len(types) == len(HISTORY) else None

    assert wait_until(published, timeout_s=60) == HISTORY
