"""`gridflow notifier` tells the grid worker who filed a report each of its milestones in the
phone app, exactly once: one queued notification per milestone, one record on
app-notifications.v1 for the phones' sockets, whatever a replay of case-events.v1 from offset 0
brings again; the worker reads them from the API (and no other worker does)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from services.envelopes import APP_NOTIFICATIONS
from tests.integration.services.accounts import signed_in
from tests.integration.services.handling.loop import (
    CaseMaker,
    resolve_through_api,
    task_of,
    verify_through_api,
)
from tests.integration.streams.stream_helpers import wait_until
from tests.processes import GridflowProcess

MILESTONES = ["CaseDispatched", "CaseResolved", "CaseClosed"]


@pytest.fixture()
def relay(topics, demo_rules):
    proc = GridflowProcess("app-notify-relay", ["relay"], topics)
    yield proc
    assert proc.stop() == 0, proc.output()


def _app_rows(engine, case_id) -> list:
    with engine.connect() as conn:
        return list(conn.execute(
            text("SELECT id, event_type, status, recipient, body FROM notification "
                 "WHERE case_id = :c AND channel = 'app' ORDER BY id"), {"c": case_id},
        ))  # fmt: skip


def _pushed(topic_reader, account_id: int) -> list[dict]:
    return [value["payload"] for _, value, _, _ in topic_reader(APP_NOTIFICATIONS)
            if value["payload"]["account_id"] == account_id]  # fmt: skip


def test_each_milestone_of_a_workers_report_reaches_their_app_once_across_a_replay(
    api, engine, topics, relay, topic_reader
):  # fmt: skip
    cases = CaseMaker(api, engine, lambda role, **s: signed_in(api, engine, role, **s))
    notifier = GridflowProcess("app-notifier", ["notifier"], topics)
    try:
        case = cases.case("201001")
        worker_id, worker = cases.worker(case["cell_code"])
        staff = signed_in(api, engine, "department_staff", department=case["department_code"])[1]
        resolve_through_api(api, staff, case["id"])
        task = task_of(api, worker, case["case_no"])
        assert verify_through_api(api, worker, task["id"], True, photo=False).status_code == 200
        wait_until(lambda: [r.status for r in _app_rows(engine, case["id"])] == ["delivered"] * 3,
                   timeout_s=60)  # fmt: skip
    finally:
        assert notifier.stop() == 0, notifier.output()

    replay = GridflowProcess("app-notifier-replay", ["notifier", "--group", "app-replay"], topics)
    wait_until(lambda: "consuming" in replay.output(), timeout_s=30)
    time.sleep(5)  # the whole topic consumed again from offset 0
    assert replay.stop() == 0, replay.output()

    rows = _app_rows(engine, case["id"])
    assert [r.event_type for r in rows] == MILESTONES
    assert {r.recipient for r in rows} == {f"app:{worker_id}"}
    pushed = _pushed(topic_reader, worker_id)
    assert [p["event_type"] for p in pushed] == MILESTONES
    assert [p["id"] for p in pushed] == [r.id for r in rows]
    assert pushed[0]["text_zh"].startswith("已派遣至") and "已处置" in pushed[1]["text_zh"]
    assert pushed[2]["text_zh"] == "已办结" and pushed[2]["text_en"] == "Closed"

    listed = api.get("/api/v1/me/notifications", headers=worker).get_json()
    assert [n["event_type"] for n in listed["items"]] == MILESTONES[::-1]  # newest first
    assert {n["case_no"] for n in listed["items"]} == {case["case_no"]}
    assert listed["unread"] == 3 and not any(n["read"] for n in listed["items"])
    other = cases.worker(cases.fresh_cell())[1]
    assert api.get("/api/v1/me/notifications", headers=other).get_json() == {
        "items": [], "unread": 0}  # fmt: skip

    read = api.post("/api/v1/me/notifications/read", json={"up_to": rows[1].id}, headers=worker)
    assert read.get_json() == {"marked": 2, "unread": 1}
    listed = api.get("/api/v1/me/notifications", headers=worker).get_json()
    assert [n["read"] for n in listed["items"]] == [False, True, True]


def test_marking_read_names_the_bad_field(api, engine, topics, worker_headers):
    for body in ({}, {"up_to": 0}, {"up_to": "x"}, {"up_to": 1, "extra": 1}):
        resp = api.post("/api/v1/me/notifications/read", json=body, headers=worker_headers)
        assert resp.status_code == 422, (body, resp.status_code)
        error = resp.get_json()["error"]
        assert error["field"] in ("up_to", "extra"), error
    resp = api.get("/api/v1/me/notifications?limit=0", headers=worker_headers)
    assert resp.status_code == 422 and resp.get_json()["error"]["field"] == "limit"
