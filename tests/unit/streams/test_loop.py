"""The consume loop without a broker: decoding, dead-lettering, retries, commits."""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy.exc import OperationalError

from services.config import Config
from services.envelopes import envelope
from streams.consumed import Rejected, decode
from streams.loop import ConsumeLoop
from streams.outages import Backoff
from tests.unit.streams.fakes import Producer


@dataclass
class Record:
    value: bytes
    key: bytes | None = b"330211001001001"
    topic: str = "t.reports.v1"
    partition: int = 0
    offset: int = 0


class Consumer:
    """Hands out the given batches, then stops the loop."""

    def __init__(self, batches, stop):
        self.batches = list(batches)
        self.stop = stop
        self.commits = 0

    def poll(self, timeout_ms=0):
        if not self.batches:
            self.stop.set()
            return {}
        return {("t", 0): self.batches.pop(0)}

    def commit(self):
        self.commits += 1

    def assignment(self):
        return set()  # no partition to report a lag for


def good(**payload) -> bytes:
    return json.dumps(envelope("ReportCaptured", payload or {"report_id": "x"})).encode()


def run(batches, processor, **kw):
    stop = threading.Event()
    consumer, producer = Consumer(batches, stop), Producer()
    loop = ConsumeLoop(
        Config(env="test", topic_prefix="t."), name="router", consumer=consumer,
        producer=producer, processor=processor, stop=stop, **kw,
    )  # fmt: skip
    loop.run()
    return loop, consumer, producer


def test_decode_reads_the_envelope():
    body = envelope("ReportCaptured", {"a": 1})
    event = decode(Record(json.dumps(body).encode(), offset=7))
    assert event.event_id == uuid.UUID(body["event_id"])
    assert event.type == "ReportCaptured" and event.payload == {"a": 1}
    assert event.offset == 7 and event.key == "330211001001001"
    assert event.occurred_at.tzinfo is not None


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"\xff\xfe", "not a JSON envelope"),
        (b"[1, 2]", "not a JSON envelope: the value is not an object"),
        (b'{"type": "X"}', "envelope lacks event_id, occurred_at, schema_version, payload"),
        (
            json.dumps({**envelope("X", {}), "event_id": "nope"}).encode(),
            "event_id is not a UUID",
        ),
        (
            json.dumps({**envelope("X", {}), "occurred_at": "2025-01-01T00:00:00"}).encode(),
            "occurred_at has no time zone",
        ),
        (json.dumps({**envelope("X", {}), "payload": []}).encode(), "payload is not an object"),
        (
            json.dumps({**envelope("X", {}), "schema_version": "1"}).encode(),
            "schema_version is not an integer",
        ),
    ],
)
def test_decode_names_what_is_wrong(value, reason):
    with pytest.raises(Rejected, match=reason):
        decode(Record(value))


def test_bad_records_are_dead_lettered_and_the_batch_goes_on_and_is_committed():
    seen = []

    def processor(event):
        if event.payload.get("bad"):
            raise Rejected("cannot apply")
        seen.append(event.payload["n"])

    batch = [
        Record(good(n=1), offset=0),
        Record(b"garbage", offset=1),
        Record(good(bad=True), offset=2),
        Record(good(n=2), offset=3),
    ]
    loop, consumer, producer = run([batch], processor)
    assert seen == [1, 2]
    assert consumer.commits == 1
    letters = [value["payload"] for _, _, value in producer.sent]
    assert [(p["offset"], p["error"]) for p in letters] == [(1, "Rejected"), (2, "Rejected")]
    assert letters[0]["value"] == "garbage" and letters[1]["reason"] == "cannot apply"
    assert all(topic == "t.dead-letter.v1" for topic, _, _ in producer.sent)
    assert loop.handled == 2 and loop.dead_lettered == 2


def test_an_unexpected_error_is_retried_then_dead_lettered():
    calls = []

    def processor(event):
        calls.append(event.offset)
        raise ValueError("boom")

    loop, _, producer = run([[Record(good(), offset=5)]], processor, max_attempts=2)
    assert calls == [5, 5]
    [(_, _, letter)] = producer.sent
    assert letter["payload"]["error"] == "ValueError"
    assert letter["payload"]["reason"] == "ValueError: boom"


def test_an_outage_is_retried_without_dead_lettering():
    attempts = []

    def processor(event):
        attempts.append(1)
        if len(attempts) < 4:
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    loop, consumer, producer = run([[Record(good())]], processor, max_attempts=2)
    assert len(attempts) == 4
    assert producer.sent == [] and loop.handled == 1 and consumer.commits == 1


def test_stopping_during_an_outage_leaves_the_batch_uncommitted():
    stop_holder = {}

    def processor(event):
        stop_holder["loop"].stop.set()
        raise OperationalError("SELECT 1", {}, Exception("down"))

    stop = threading.Event()
    consumer, producer = Consumer([[Record(good())]], stop), Producer()
    loop = ConsumeLoop(
        Config(env="test"), name="router", consumer=consumer, producer=producer,
        processor=processor, stop=stop,
    )  # fmt: skip
    stop_holder["loop"] = loop
    loop.run()
    assert consumer.commits == 0 and producer.sent == []


def test_backoff_doubles_up_to_its_cap():
    backoff = Backoff(first_s=0.5, cap_s=3.0)
    assert [backoff.next_delay() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    backoff.reset()
    assert backoff.next_delay() == 0.5
