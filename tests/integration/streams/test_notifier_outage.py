"""A webhook receiver that is really down for 2 minutes (its port refuses connections, 120 s of
real time) gets every milestone afterwards, exactly once and in order, from `gridflow notifier`
running its real retry schedule (the default settings: the first retry after 1 s, each wait
doubling up to the 60 s cap, 10 attempts).

The schedule, from a notification's first failed attempt: retries at 1, 3, 7, 15, 31, 63, 123,
183 and 243 s, then dead. A receiver back 120 s after it went down is tried again at the first
of those after its return: within the cap (60 s) at worst, here about 123 s after the first
failure, a few seconds after its return. The recipient's later notifications wait behind the
first (its order is kept) and follow it at once. Its own file: the test holds one worker of a
parallel run for its ~2 minutes, beside the others."""

from __future__ import annotations

import time

import pytest

from services.config import Config
from tests.integration.streams.stream_helpers import wait_until
from tests.integration.streams.webhooks import (
    MILESTONES,
    Receiver,
    check_deliveries,
    close_all,
    notification_rows,
    open311_requests,
)
from tests.processes import GridflowProcess

OUTAGE_S = 120.0
CAP_S = 60.0  # services.config.Config.notify_backoff_cap_s
# The first attempt and the retries at 1, 3, 7, 15, 31 and 63 s fail within the outage (the
# first attempt comes a few seconds after the receiver went down, well under 57 s), the
# retry at 123 s delivers.
ATTEMPTS_ACROSS_THE_OUTAGE = 8


@pytest.fixture()
def receiver():
    made = Receiver()
    yield made
    made.close()


@pytest.fixture()
def relay(topics, demo_rules):
    proc = GridflowProcess("notify-outage-relay", ["relay"], topics)
    yield proc
    assert proc.stop() == 0, proc.output()


def test_a_receiver_down_for_2_minutes_gets_every_milestone_afterwards_in_order(
    api, engine, topics, relay, receiver
):  # fmt: skip
    defaults = Config()
    assert (topics.notify_backoff_first_s, topics.notify_backoff_cap_s,
            topics.notify_max_attempts) == (defaults.notify_backoff_first_s, CAP_S,
                                            defaults.notify_max_attempts)  # fmt: skip
    notifier = GridflowProcess("notifier-outage-2min", ["notifier"], topics)
    try:
        made, cases = open311_requests(api, engine, receiver.url, 3)
        wait_until(lambda: len(receiver.received) == len(made), timeout_s=60)  # dispatched
        receiver.go_down()
        down_at = time.monotonic()
        close_all(api, engine, cases, made)
        total = len(made) * len(MILESTONES)
        wait_until(lambda: len(notification_rows(engine, made)) == total, timeout_s=60)
        first_failure = wait_until(
            lambda: next((r for r in notification_rows(engine, made) if r.last_error), None),
            timeout_s=30,
        )
        assert first_failure.event_type == "CaseResolved" and first_failure.status == "pending"
        assert "refused" in first_failure.last_error.lower(), first_failure.last_error

        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down_at)))
        assert len(receiver.received) == len(made), "a delivery landed while the receiver was down"
        rows = notification_rows(engine, made)
        head = next(r for r in rows if r.last_error)
        assert head.id == first_failure.id
        assert [r.status for r in rows].count("pending") == total - len(made)
        assert all(r.attempts == 0 for r in rows if r.id != head.id and r.status == "pending")
        receiver.come_back()
        back_at = time.monotonic()
        wait_until(lambda: len(receiver.received) == total, timeout_s=CAP_S + 30)
        waited = time.monotonic() - back_at
    finally:
        assert notifier.stop() == 0, notifier.output()

    check_deliveries(receiver, made)
    rows = notification_rows(engine, made)
    assert {r.status for r in rows} == {"delivered"}
    # in the order the milestones happened: the queue's order
    sent = [(d["body"]["service_request_id"], d["body"]["event_type"]) for d in receiver.received]
    assert [e for _, e in sent[len(made):]] == [r.event_type for r in rows if
                                                r.event_type != "CaseDispatched"]  # fmt: skip
    retried = next(r for r in rows if r.id == head.id)
    assert retried.attempts == ATTEMPTS_ACROSS_THE_OUTAGE, retried.attempts
    assert waited <= CAP_S, f"delivered {waited:.1f} s after the receiver came back"
