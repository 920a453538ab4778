"""The consume loop with a batch processor: one call per chunk of a poll, and a failing chunk
handled again event by event, so batching never changes what is applied or dead-lettered."""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace

from services.config import Config
from services.envelopes import envelope
from streams.consumed import Rejected
from streams.loop import ConsumeLoop
from tests.unit.streams.fakes import Producer


class Consumer:
    def __init__(self, batches, stop):
        self.batches = list(batches)
        self.stop = stop
        self.commits = 0

    def poll(self, timeout_ms=0):
        if not self.batches:
            self.stop.set()
            return {}
        return {("t", 0): self.batches.pop(0)}

    def commit(self, offsets=None):
        self.commits += 1

    def assignment(self):
        return set()


def records(*payloads, start: int = 0):
    out = []
    for i, payload in enumerate(payloads):
        value = payload if isinstance(payload, bytes) else json.dumps(
            envelope("ReportCaptured", payload)).encode()  # fmt: skip
        out.append(SimpleNamespace(topic="t", partition=0, offset=start + i, key=b"k", value=value))
    return out


def run(batches, processor, batch_processor, batch_size):
    stop = threading.Event()
    consumer, producer = Consumer(batches, stop), Producer()
    loop = ConsumeLoop(
        Config(env="test"), name="batch-test", consumer=consumer, producer=producer,
        processor=processor, stop=stop, batch_processor=batch_processor, batch_size=batch_size,
    )  # fmt: skip
    loop.run()
    return loop, consumer, producer


def test_a_poll_is_applied_in_chunks_of_batch_size():
    chunks, singles = [], []
    loop, consumer, producer = run(
        [records(*({"n": i} for i in range(5)))],
        processor=lambda e: singles.append(e.payload["n"]),
        batch_processor=lambda events: chunks.append([e.payload["n"] for e in events]),
        batch_size=2,
    )
    assert chunks == [[0, 1], [2, 3], [4]]
    assert singles == []
    assert loop.handled == 5 and loop.dead_lettered == 0 and consumer.commits == 1


def test_a_failing_chunk_is_applied_again_one_event_at_a_time():
    applied = []

    def batch(events):
        raise Rejected("one of these cannot be applied")

    def single(event):
        if event.payload.get("bad"):
            raise Rejected("bad payload")
        applied.append(event.payload["n"])

    loop, consumer, producer = run(
        [records({"n": 1}, {"bad": True}, b"not json", {"n": 2})],
        processor=single, batch_processor=batch, batch_size=10,
    )  # fmt: skip
    assert applied == [1, 2]
    assert loop.handled == 2 and loop.dead_lettered == 2
    reasons = [v["payload"]["reason"] for v in producer.values]
    assert any("not a JSON envelope" in r for r in reasons) and "bad payload" in reasons
    assert consumer.commits == 1


def test_batch_size_one_means_no_batching():
    chunks, singles = [], []
    loop, _, _ = run(
        [records({"n": 1}, {"n": 2})],
        processor=lambda e: singles.append(e.payload["n"]),
        batch_processor=lambda events: chunks.append(events),
        batch_size=1,
    )
    assert singles == [1, 2] and chunks == []


def test_events_the_batch_processor_refuses_are_dead_lettered_and_the_rest_stays_applied():
    applied, singles = [], []

    def batch(events):
        applied.extend(e.payload["n"] for e in events if not e.payload.get("bad"))
        return [(e, f"refused {e.payload['n']}") for e in events if e.payload.get("bad")]

    loop, consumer, producer = run(
        [records({"n": 1}, {"n": 2, "bad": True}, {"n": 3}, {"n": 4, "bad": True})],
        processor=lambda e: singles.append(e.payload["n"]), batch_processor=batch, batch_size=10,
    )  # fmt: skip
    assert applied == [1, 3] and singles == []
    assert [v["payload"]["reason"] for v in producer.values] == ["refused 2", "refused 4"]
    assert [v["payload"]["offset"] for v in producer.values] == [1, 3]
    assert loop.handled == 2 and loop.dead_lettered == 2 and consumer.commits == 1
