"""A consumer with a fetch wait (the router's `GRIDFLOW_ROUTER_FETCH_WAIT_MS`) takes records that
trickle in within the wait in one poll, instead of one poll per record."""

from __future__ import annotations

import time
import uuid

from services.config import Config
from services.envelopes import REPORTS, topic_name
from streams.kafka import make_consumer, make_producer


def _polls_of(config: Config, fetch_wait_ms: int, count: int, spacing_s: float) -> list[int]:
    """Records per non-empty poll while `count` records are produced `spacing_s` apart."""
    consumer = make_consumer(
        config, [REPORTS], group=f"fetch-{uuid.uuid4().hex[:8]}", client_id="fetch-test",
        fetch_wait_ms=fetch_wait_ms,
    )  # fmt: skip
    producer = make_producer(config, client_id="fetch-test")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            consumer.poll(timeout_ms=100)
            if consumer.assignment():
                try:
                    consumer.seek_to_end()
                    break
                except ValueError:  # a rebalance took the partitions back meanwhile
                    continue
        for partition in consumer.assignment():
            consumer.position(partition)  # the end is looked up now, before anything is sent
        consumer.poll(timeout_ms=0)  # the next fetch on its way
        for i in range(count):
            producer.send(topic_name(config.topic_prefix, REPORTS), key=f"k{i}", value=b"{}")
            producer.flush()
            time.sleep(spacing_s)
        polls: list[int] = []
        while sum(polls) < count and time.monotonic() < deadline:
            got = sum(len(records) for records in consumer.poll(timeout_ms=200).values())
            if got:
                polls.append(got)
        return polls
    finally:
        consumer.close(autocommit=False)
        producer.close(timeout=5)


def test_records_trickling_in_within_the_fetch_wait_come_in_one_poll(topics):
    assert _polls_of(topics, fetch_wait_ms=3000, count=5, spacing_s=0.1) == [5]
