"""`gridflow notifier` on the real stack with a real local HTTP receiver: each milestone of an
Open311 request reaches the client's webhook exactly once, signed, in order — across a notifier
crash mid-batch and a replay from offset 0; a webhook that never answers is dead-lettered and
shown to admins. A receiver down for 2 minutes: test_notifier_outage.py."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from tests.integration.services.accounts import signed_in
from tests.integration.streams.stream_helpers import wait_until
from tests.integration.streams.webhooks import (
    MILESTONES,
    Receiver,
    check_deliveries,
    close_all,
    notification_rows,
    open311_requests,
)
from tests.processes import GridflowProcess, free_port

# Retries doubling from 0.05 s to 3 s: the tests below wait for deliveries, not for the real
# schedule (test_notifier_outage.py runs the real one against a 2-minute outage).
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


def test_one_signed_delivery_per_milestone_across_a_crash_and_a_replay(
    api, engine, topics, relay, receiver
):  # fmt: skip
    made, cases = open311_requests(api, engine, receiver.url, 4)
    close_all(api, engine, cases, made)
    total = len(made) * len(MILESTONES)

    # The receiver is down while the notifier consumes: no delivery can land, so the crash
    # below falls between queued notifications, mid-batch (its offsets not committed).
    receiver.go_down()
    first = GridflowProcess("notifier-1", ["notifier"], topics, **FAST_RETRIES)
    wait_until(lambda: len(notification_rows(engine, made)) > 0, timeout_s=60, step_s=0.005)
    first.kill()
    assert first.stop() == -9  # its log closed
    queued = len(notification_rows(engine, made))
    assert queued < total, "killed after the batch, not in the middle of it"
    assert receiver.received == []

    receiver.come_back()
    second = GridflowProcess("notifier-2", ["notifier"], topics, **FAST_RETRIES)
    wait_until(lambda: len(receiver.received) >= total, timeout_s=60)
    assert second.stop() == 0, second.output()

    replay = GridflowProcess("notifier-replay", ["notifier", "--group", "notifier-replay"],
                             topics, **FAST_RETRIES)  # fmt: skip
    wait_until(lambda: "consuming" in replay.output(), timeout_s=30)
    time.sleep(5)  # the whole topic consumed again from offset 0
    assert replay.stop() == 0, replay.output()
    assert len(notification_rows(engine, made)) == total
    check_deliveries(receiver, made)


def test_a_webhook_that_never_answers_is_dead_lettered_and_shown_to_admins(
    api, engine, topics, relay
):  # fmt: skip
    dead_url = f"http://127.0.0.1:{free_port()}/nobody"
    notifier = GridflowProcess("notifier-dead", ["notifier"], topics,
                               **{**FAST_RETRIES, "GRIDFLOW_NOTIFY_MAX_ATTEMPTS": "3"})  # fmt: skip
    try:
        made, _ = open311_requests(api, engine, dead_url, 1)

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
