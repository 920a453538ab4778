"""Revisits (回访): a 不满意 rating on the tracking page opens a revisit task in the operators'
queue, due in working hours; the operator closes it with a note or re-opens the case to its
department as rework; the reporter's satisfaction after the call counts in the KPIs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from services.auth.apikeys import create_client
from services.calendars import calendars_from_config
from services.config import Config
from services.domain.kpi import compute_kpis
from services.stats.aggregate import aggregate_kpis
from services.stats.facts import Period, load_figures
from tests.integration.services.handling.loop import (
    captured_event,
    cell_point,
    resolve_through_api,
    task_of,
    verify_through_api,
)

STREET, OTHER_STREET = "330211009", "330211007"


def _closed_request(api, engine, login, cases) -> dict:
    """An Open311 request routed, resolved and verified: closed, not rated yet."""
    with engine.begin() as conn:
        key = create_client(conn, f"app-{uuid.uuid4().hex[:6]}")
    cell = cases.fresh_cell(STREET)
    lat, lng = cell_point(engine, cell)
    resp = api.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "201001", "lat": str(lat), "long": str(lng),
        "description": "垃圾清运不及时", "phone": "13700001111"})  # fmt: skip
    assert resp.status_code == 201, resp.get_json()
    made = resp.get_json()[0]
    cases.route(captured_event(engine, made["token"]))
    with engine.connect() as conn:
        case = conn.execute(text("SELECT id, department_code FROM case_file WHERE report_id = :r"),
                            {"r": made["token"]}).one()  # fmt: skip
    staff = login("department_staff", department=case.department_code)[1]
    resolve_through_api(api, staff, case.id)
    worker = cases.worker(cell)[1]
    task = task_of(api, worker, made["service_request_id"])
    assert verify_through_api(api, worker, task["id"], True, photo=False).status_code == 200
    return {**made, "case_id": case.id, "department": case.department_code, "staff": staff,
            "worker": worker}  # fmt: skip


def _rate(api, made: dict, rating: str, comment: str = ""):
    return api.post(f"/t/{made['token']}/rating", json={"rating": rating, "comment": comment},
                    environ_base={"REMOTE_ADDR": f"10.40.{uuid.uuid4().int % 250}.1"})  # fmt: skip


def test_dissatisfied_opens_a_revisit_whose_rework_sends_the_case_back(
    api, engine, login, cases
):  # fmt: skip
    made = _closed_request(api, engine, login, cases)
    satisfied = _closed_request(api, engine, login, cases)
    assert _rate(api, satisfied, "satisfied").status_code == 200
    before = datetime.now(UTC)
    assert _rate(api, made, "dissatisfied", "桶边仍有垃圾").status_code == 200

    events = [e["type"] for e in cases.events(made["case_id"])]
    assert events[-2:] == ["CaseRated", "RevisitOpened"]
    assert "RevisitOpened" not in [e["type"] for e in cases.events(satisfied["case_id"])]
    due = datetime.fromisoformat(cases.events(made["case_id"])[-1]["payload"]["due"])
    working = calendars_from_config(Config()).working
    assert working.add(before, timedelta(hours=8)) <= due
    assert due <= working.add(datetime.now(UTC), timedelta(hours=8))

    _, operator = login("operator", jurisdiction=STREET)
    _, stranger = login("operator", jurisdiction=OTHER_STREET)
    queue = api.get("/api/v1/operator/revisits", headers=operator).get_json()["items"]
    [task] = [t for t in queue if t["case_id"] == str(made["case_id"])]
    assert task["rating_comment"] == "桶边仍有垃圾" and task["overdue"] is False
    assert str(satisfied["case_id"]) not in {t["case_id"] for t in queue}
    others = api.get("/api/v1/operator/revisits", headers=stranger).get_json()["items"]
    assert str(made["case_id"]) not in {t["case_id"] for t in others}

    url = f"/api/v1/operator/cases/{made['case_id']}/revisit"
    for body, field in (({"outcome": "ignore", "note": "x"}, "outcome"),
                        ({"outcome": "rework", "note": " "}, "note"),
                        ({"outcome": "rework"}, "note")):  # fmt: skip
        bad = api.post(url, json=body, headers=operator)
        assert bad.status_code == 422 and bad.get_json()["error"]["field"] == field, body
    hidden = api.post(url, json={"outcome": "rework", "note": "回访"}, headers=stranger)
    assert hidden.status_code == 404
    none = api.post(f"/api/v1/operator/cases/{satisfied['case_id']}/revisit",
                    json={"outcome": "closed", "note": "回访"}, headers=operator)  # fmt: skip
    assert none.status_code == 409 and none.get_json()["error"]["field"] == "state"

    resp = api.post(url, json={"outcome": "rework", "note": "市民反映仍有垃圾，返工"},
                    headers=operator)  # fmt: skip
    assert resp.status_code == 200, resp.get_json()
    shown = resp.get_json()
    assert shown["state"] == "dispatched" and shown["rework_count"] == 1
    assert shown["department_code"] == made["department"]
    assert datetime.fromisoformat(shown["resolve_due"]) > datetime.now(UTC)
    assert [e["type"] for e in cases.events(made["case_id"])][-2:] == [
        "RevisitClosed", "CaseReworked"]  # fmt: skip
    queue = api.get("/api/v1/operator/revisits", headers=operator).get_json()["items"]
    assert str(made["case_id"]) not in {t["case_id"] for t in queue}
    again = api.post(url, json={"outcome": "closed", "note": "再次回访"}, headers=operator)
    assert again.status_code == 409
    held = api.get("/api/v1/department/cases?state=dispatched&per_page=200",
                   headers=made["staff"]).get_json()["items"]  # fmt: skip
    assert str(made["case_id"]) in {c["id"] for c in held}
    with engine.connect() as conn:
        audited = conn.execute(text(
            "SELECT action FROM audit_log WHERE subject = :s AND action LIKE 'case.Revisit%' "
            "ORDER BY id"), {"s": f"case:{made['case_id']}"}).scalars().all()  # fmt: skip
        relayed = conn.execute(text(
            "SELECT event_type FROM outbox WHERE key = :k AND event_type LIKE 'Revisit%' "
            "ORDER BY id"), {"k": str(made["case_id"])}).scalars().all()  # fmt: skip
    assert audited == ["case.RevisitOpened", "case.RevisitClosed"] == [f"case.{t}" for t in relayed]

    # the department fixes it again; the worker's check closes it; the rating stays the first
    resolve_through_api(api, made["staff"], made["case_id"])
    task = task_of(api, made["worker"], made["service_request_id"])
    assert verify_through_api(api, made["worker"], task["id"], True, photo=False).status_code == 200
    assert _rate(api, made, "satisfied").status_code == 409


def test_satisfaction_after_revisit_counts_in_the_kpis(api, engine, login, cases):
    made = [_closed_request(api, engine, login, cases) for _ in range(3)]
    for one, rating in zip(made, ("dissatisfied", "dissatisfied", "basically_satisfied"),
                           strict=True):  # fmt: skip
        assert _rate(api, one, rating).status_code == 200
    _, operator = login("operator", jurisdiction=STREET)
    closed = api.post(f"/api/v1/operator/cases/{made[0]['case_id']}/revisit", json={
        "outcome": "closed", "note": "已解释清运周期，市民表示理解",
        "rating_after": "basically_satisfied"}, headers=operator)  # fmt: skip
    assert closed.status_code == 200 and closed.get_json()["state"] == "closed"
    assert closed.get_json()["rating"]["rating"] == "dissatisfied"

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    period = Period(today, today)
    where, params = "c.case_id = ANY(:ids)", {"ids": [m["case_id"] for m in made]}
    with engine.connect() as conn:
        whole, _ = aggregate_kpis(conn, period, "department", as_of=datetime.now(UTC),
                                  where=where, params=params)  # fmt: skip
        facts = [f.facts for f in load_figures(conn, period, where, params)]
    computed = compute_kpis(facts, as_of=datetime.now(UTC))
    for kpis in (whole, computed):
        assert (kpis.rated, kpis.dissatisfied, kpis.revisited, kpis.satisfied_after_revisit) == (
            3, 2, 1, 1)  # fmt: skip
        assert kpis.satisfaction_rate == pytest.approx(1 / 3)
        assert kpis.satisfaction_after_revisit_rate == pytest.approx(2 / 3)
