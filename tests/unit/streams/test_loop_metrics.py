"""The consume loop's metrics: events processed and dead-lettered, consumer lag per partition."""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace

from kafka import TopicPartition
from prometheus_client import REGISTRY

from services.config import Config
from services.envelopes import envelope
from streams.consumed import Rejected
from streams.loop import ConsumeLoop
from tests.unit.streams.fakes import Producer


class Consumer:
    """One batch on partition 0 of topic t; the partition's end is 10, the position 7."""

    def __init__(self, records, stop):
        self.records = records
        self.stop = stop
        self.tps = {TopicPartition("t", 0), TopicPartition("t", 1)}

    def poll(self, timeout_ms=0):
        if self.records is None:
            self.stop.set()
            return {}
        records, self.records = self.records, None
        return {TopicPartition("t", 0): records}

    def commit(self):
        pass

    def assignment(self):
        return self.tps

    def highwater(self, tp):
        return {0: 10, 1: None}[tp.partition]  # partition 1 not fetched yet

    def position(self, tp, timeout_ms=None):
        return 7


def record(offset: int, value: bytes):
    return SimpleNamespace(topic="t", partition=0, offset=offset, key=b"k", value=value)


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_processed_dead_lettered_and_lag_are_counted_per_processor():
    name = "metrics-unit"
    stop = threading.Event()

    def processor(event):
        if event.payload.get("bad"):
            raise Rejected("bad")

    good = json.dumps(envelope("ReportCaptured", {"n": 1})).encode()
    bad = json.dumps(envelope("ReportCaptured", {"bad": True})).encode()
    records = [record(0, good), record(1, good), record(2, bad), record(3, b"garbage")]
    before = (
        sample("gridflow_events_processed_total", processor=name),
        sample("gridflow_events_dead_lettered_total", processor=name),
    )
    loop = ConsumeLoop(
        Config(env="test"),
        name=name,
        consumer=Consumer(records, stop),
        producer=Producer(),
        processor=processor,
        stop=stop,
    )
    loop.run()
    assert sample("gridflow_events_processed_total", processor=name) - before[0] == 2
    assert sample("gridflow_events_dead_lettered_total", processor=name) - before[1] == 2
    assert sample("gridflow_consumer_lag", processor=name, topic="t", partition="0") == 3
    # a partition whose end is not known yet gets no made-up figure
    lag = REGISTRY.get_sample_value(
        "gridflow_consumer_lag", {"processor": name, "topic": "t", "partition": "1"}
    )
    assert lag is None
