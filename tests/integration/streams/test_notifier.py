"""`gridflow notifier` on the real stack with a real local HTTP receiver: each milestone of an
Open311 request reaches the client's webhook exactly once, signed, in order — across a notifier
crash mid-batch, a replay from offset 0 and a receiver that is down for a while; a webhook that
never answers is dead-lettered and shown to admins."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid

import pytest
from sqlalchemy import text

from services.auth.apikeys import create_client
from tests.integration.services.accounts import signed_in
from tests.integration.services.handling.loop import (
    CaseMaker,
    captured_event,
    cell_point,
    resolve_through_api,
    task_of,
    verify_through_api,
)
from tests.integration.streams.stream_helpers import wait_until
from tests.integration.webhook_receiver import Receiver
from tests.processes import GridflowProcess, free_port

SECRET = "s3cret-of-the-hotline-app"
MILESTONES = ["CaseDispatched", "CaseResolved", "CaseClosed"]
# The receiver's outage in this test. The behaviour is the one of a 2-minute outage under the
# default settings (retries doubling from 1 s to 60 s, 10 attempts: 4 minutes of retries),
# scaled down 20 times: retries doubling from 0.05 s to 3 s, 10 attempts (12 s of retries)
# against an outage of 6 s (3 s after the last milestone was made, while the test makes them).
OUTAGE_S = 3.0
FAST_RETRIES = {"GRIDFLOW_NOTIFY_BACKOFF_FIRST_S": "0.05", "GRIDFLOW_NOTIFY_BACKOFF_CAP_S": "3",
                "GRIDFLOW_NOTIFY_MAX_ATTEMPTS": "10"}  # fmt: skip


@pytest.fixture()
def receiver():
    made = Receiver()
    yield made
    made.close()


@pytest.fixture(scope="module")
def relay(topics, demo_rules):
    proc = GridflowProcess("notify-relay", ["relay"], topics)
    yield proc
    assert proc.stop() == 0, proc.output()


def _requests(api, engine, webhook: str, count: int) -> tuple[list[dict], object]:
    """`count` Open311 requests of a client with this webhook, routed (dispatched)."""
    with engine.begin() as conn:
        key = create_client(conn, f"app-{uuid.uuid4().hex[:6]}", webhook_url=webhook,
                            webhook_secret=SECRET)  # fmt: skip
    cases = CaseMaker(api, engine, lambda role, **s: signed_in(api, engine, role, **s))
    made = []
    for _ in range(count):
        cell = cases.fresh_cell()
        lat, lng = cell_point(engine, cell)
        resp = api.post("/open311/v2/requests.json", data={
            "api_key": key, "service_code": "201001", "lat": str(lat), "long": str(lng),
            "description": "垃圾未清运", "phone": "13600000000"})  # fmt: skip
        assert resp.status_code == 201, resp.get_json()
        request = resp.get_json()[0]
        cases.route(captured_event(engine, request["token"]))
        with engine.connect() as conn:
            sql = "SELECT id, department_code FROM case_file WHERE report_id = :r"
            case = conn.execute(text(sql), {"r": request["token"]}).one()
        made.append({**request, "case_id": case.id, "department": case.department_code,
                     "cell": cell})  # fmt: skip
    return made, cases


def _close_all(api, engine, cases, made: list[dict]) -> None:
    for request in made:
        staff = signed_in(api, engine, "department_staff", department=request["department"])[1]
        resolve_through_api(api, staff, request["case_id"])
        worker = cases.worker(request["cell"])[1]
        task = task_of(api, worker, request["service_request_id"])
        assert verify_through_api(api, worker, task["id"], True, photo=False).status_code == 200


def _queued(engine, made) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM notification WHERE case_id = ANY(:c)"),
                            {"c": [m["case_id"] for m in made]}).scalar_one()  # fmt: skip


def _check_deliveries(receiver: Receiver, made: list[dict]) -> None:
    """Exactly one signed delivery per milestone of each request, in order."""
    by_request: dict[str, list[str]] = {}
    for delivery in receiver.received:
        expected = "sha256=" + hmac.new(SECRET.encode(), delivery["raw"],
                                        hashlib.sha256).hexdigest()  # fmt: skip
        assert delivery["headers"]["X-Gridflow-Signature"] == expected
        body = delivery["body"]
        by_request.setdefault(body["service_request_id"], []).append(body["event_type"])
    assert by_request == {m["service_request_id"]: MILESTONES for m in made}
    ids = [d["headers"]["X-Gridflow-Delivery"] for d in receiver.received]
    assert len(ids) == len(set(ids)) == len(made) * len(MILESTONES)
    closed = [d["body"] for d in receiver.received if d["body"]["event_type"] == "CaseClosed"]
    assert {(b["status"], b["status_notes"]) for b in closed} == {("closed", "已办结")}


def test_one_signed_delivery_per_milestone_across_a_crash_and_a_replay(
    api, engine, topics, relay, receiver
):  # fmt: skip
    made, cases = _requests(api, engine, receiver.url, 4)
    _close_all(api, engine, cases, made)
    total = len(made) * len(MILESTONES)

    # The receiver is down while the notifier consumes: no delivery can land, so the crash
    # below falls between queued notifications, mid-batch (its offsets not committed).
    receiver.down = True
    first = GridflowProcess("notifier-1", ["notifier"], topics, **FAST_RETRIES)
    wait_until(lambda: _queued(engine, made) > 0, timeout_s=60, step_s=0.005)
    first.kill()
    assert first.stop() == -9  # its log closed
    assert _queued(engine, made) < total, "killed after the batch, not in the middle of it"
    assert receiver.received == []

    receiver.down = False
    second = GridflowProcess("notifier-2", ["notifier"], topics, **FAST_RETRIES)
    wait_until(lambda: len(receiver.received) >= total, timeout_s=60)
    assert second.stop() == 0, second.output()

    replay = GridflowProcess("notifier-replay", ["notifier", "--group", "notifier-replay"],
                             topics, **FAST_RETRIES)  # fmt: skip
    wait_until(lambda: "consuming" in replay.output(), timeout_s=30)
    time.sleep(5)  # the whole topic consumed again from offset 0
    assert replay.stop() == 0, replay.output()
    assert _queued(engine, made) == total
    _check_deliveries(receiver, made)


def test_a_receiver_down_for_a_while_gets_every_milestone_afterwards_in_order(
    api, engine, topics, relay, receiver
):  # fmt: skip
    notifier = GridflowProcess("notifier-outage", ["notifier"], topics, **FAST_RETRIES)
    try:
        made, cases = _requests(api, engine, receiver.url, 3)
        wait_until(lambda: len(receiver.received) >= len(made), timeout_s=60)  # dispatched
        receiver.down = True
        down_at = time.monotonic()
        _close_all(api, engine, cases, made)
        wait_until(lambda: receiver.refused > 0, timeout_s=30)
        time.sleep(max(0.0, 2 * OUTAGE_S - (time.monotonic() - down_at)))
        assert len(receiver.received) == len(made)
        receiver.down = False
        wait_until(lambda: len(receiver.received) >= len(made) * len(MILESTONES), timeout_s=60)
    finally:
        assert notifier.stop() == 0, notifier.output()
    _check_deliveries(receiver, made)
    with engine.connect() as conn:
        sql = "SELECT count(*) FROM notification WHERE status = 'dead' AND case_id = ANY(:c)"
        dead = conn.execute(text(sql), {"c": [m["case_id"] for m in made]}).scalar_one()
    assert dead == 0


def test_a_webhook_that_never_answers_is_dead_lettered_and_shown_to_admins(
    api, engine, topics, relay
):  # fmt: skip
    dead_url = f"http://127.0.0.1:{free_port()}/nobody"
    notifier = GridflowProcess("notifier-dead", ["notifier"], topics,
                               **{**FAST_RETRIES, "GRIDFLOW_NOTIFY_MAX_ATTEMPTS": "3"})  # fmt: skip
    try:
        made, _ = _requests(api, engine, dead_url, 1)

        def dead():
            with engine.connect() as conn:
                return conn.execute(text(
                    "SELECT status, attempts FROM notification WHERE case_id = :c"),
                    {"c": made[0]["case_id"]}).first()  # fmt: skip

        row = wait_until(lambda: (r := dead()) is not None and r.status == "dead" and r,
                         timeout_s=60)  # fmt: skip
        assert row.attempts == 3
    finally:
        assert notifier.stop() == 0, notifier.output()
    _, admin = signed_in(api, engine, "admin")
    listed = api.get("/api/v1/admin/notifications?status=dead", headers=admin).get_json()
    [shown] = [n for n in listed["items"] if n["case_no"] == made[0]["service_request_id"]]
    assert shown["event_type"] == "CaseDispatched" and shown["attempts"] == 3
    assert "Error" in shown["last_error"] or "HTTP" in shown["last_error"]
