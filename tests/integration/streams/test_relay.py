"""The outbox relay on the real PostgreSQL and Kafka: order per key, several relays, outages."""

from __future__ import annotations

import threading
import time
import uuid

from sqlalchemy import text

from services.store.db import make_engine
from services.store.outbox import enqueue
from streams.relay import OutboxRelay
from streams.topics import ensure_topics
from tests.integration.streams.stream_helpers import read_topic, wait_until

TOPIC = "relay-drill.v1"


def _enqueue_batch(engine, keys: list[str], per_key: int, tag: str) -> list[str]:
    ids = []
    for seq in range(per_key):
        with engine.begin() as conn:
            for key in keys:
                payload = {"tag": tag, "key": key, "seq": seq}
                event = enqueue(conn, TOPIC, key, "DrillEvent", payload)
                ids.append(event["event_id"])
    return ids


def _unsent(engine, ids: list[str]) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT count(*) FROM outbox "
                "WHERE event_id = ANY(CAST(:ids AS uuid[])) AND sent_at IS NULL"
            ),
            {"ids": ids},
        ).scalar_one()


def _relay_thread(config, box: list, **options):
    """A thread body running one relay with its own engine, disposed when the relay stops."""

    def run(stop: threading.Event) -> None:
        own = make_engine(config.database_url, pool_size=2)
        try:
            relay = OutboxRelay(config, own, stop, **options)
            box.append(relay)
            relay.run()
        finally:
            own.dispose()

    return run


def _records_of(config, tag: str):
    records = read_topic(config, TOPIC)
    return [r for r in records if isinstance(r[1], dict) and r[1]["payload"].get("tag") == tag]


def test_three_relays_publish_every_row_once_in_order_per_key(topics, engine, background):
    config = topics
    ensure_topics(config, (TOPIC,))
    tag = uuid.uuid4().hex
    keys = [f"cell-{tag[:6]}-{i}" for i in range(8)]

    relays: list[OutboxRelay] = []
    for _ in range(3):
        background(_relay_thread(config, relays, batch_size=7, max_buckets=2))
    # Rows keep arriving while the three relays run.
    ids = _enqueue_batch(engine, keys, per_key=25, tag=tag)
    wait_until(lambda: _unsent(engine, ids) == 0, timeout_s=60)

    records = _records_of(config, tag)
    event_ids = [r[1]["event_id"] for r in records]
    assert sorted(event_ids) == sorted(ids), "every row published exactly once"
    for key in keys:
        seqs = [r[1]["payload"]["seq"] for r in records if r[0] == key]
        assert seqs == list(range(25)), f"rows of {key} out of order: {seqs}"
    # A key always lands on one partition.
    for key in keys:
        assert len({r[2] for r in records if r[0] == key}) == 1
    assert sum(r.stats.published for r in relays) >= len(ids)


def test_relay_wakes_on_notify_before_its_poll_tick(topics, engine, background):
    config = topics.with_(relay_poll_interval_s=60.0)
    ensure_topics(config, (TOPIC,))
    tag = uuid.uuid4().hex
    relay_box: list[OutboxRelay] = []
    background(_relay_thread(config, relay_box))
    wait_until(lambda: relay_box and relay_box[0]._listener is not None, timeout_s=30)
    # The relay now sleeps until NOTIFY; its poll tick is a minute away.
    started = time.monotonic()
    ids = _enqueue_batch(engine, ["k"], per_key=1, tag=tag)
    wait_until(lambda: _unsent(engine, ids) == 0, timeout_s=20)
    assert time.monotonic() - started < 20
    assert [r[1]["event_id"] for r in _records_of(config, tag)] == ids


def test_relay_backs_off_while_kafka_is_down_and_catches_up(
    topics, engine, private_broker, background
):
    config = topics.with_(
        kafka_bootstrap_servers=private_broker.bootstrap, relay_poll_interval_s=0.5
    )
    ensure_topics(config)
    ensure_topics(config, (TOPIC,))
    tag = uuid.uuid4().hex
    relay_box: list[OutboxRelay] = []
    background(_relay_thread(config, relay_box))
    first = _enqueue_batch(engine, ["a", "b"], per_key=3, tag=tag)
    wait_until(lambda: _unsent(engine, first) == 0, timeout_s=60)

    private_broker.stop()
    during = _enqueue_batch(engine, ["a", "b"], per_key=3, tag=tag)
    wait_until(lambda: relay_box[0].stats.failures > 0, timeout_s=60)
    assert _unsent(engine, during) == len(during), "nothing is marked sent while Kafka is down"

    private_broker.start()
    wait_until(lambda: _unsent(engine, during) == 0, timeout_s=120)
    records = _records_of(config, tag)
    assert sorted(r[1]["event_id"] for r in records) == sorted(first + during)
    for key in ("a", "b"):
        assert [r[1]["payload"]["seq"] for r in records if r[0] == key] == [0, 1, 2, 0, 1, 2]
