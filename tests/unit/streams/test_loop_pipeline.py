"""The consume loop with a batch processor keeps two polls in flight: the next poll is fetched
and decoded while the one before is applied, polls are applied in order, and a poll's offsets
are committed only after all its events were applied."""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace

from sqlalchemy.exc import OperationalError

from services.config import Config
from services.envelopes import envelope
from streams.loop import ConsumeLoop
from tests.unit.streams.fakes import Producer


class Consumer:
    """Hands out the given polls (then stops the loop) and records each commit with the
    events applied when it was made."""

    def __init__(self, polls, stop, applied):
        self.polls = list(polls)
        self.stop = stop
        self.applied = applied
        self.polled = 0
        self.second_poll = threading.Event()
        self.commits = []

    def poll(self, timeout_ms=0):
        self.polled += 1
        if self.polled >= 2:
            self.second_poll.set()
        if not self.polls:
            self.stop.set()
            return {}
        return {("t", 0): self.polls.pop(0)}

    def commit(self, offsets=None):
        assert offsets is not None, "the pipelined loop commits the offsets of a finished poll"
        (tp, meta), *more = offsets.items()
        assert not more and (tp.topic, tp.partition) == ("t", 0)
        self.commits.append((meta.offset, sorted(self.applied)))

    def assignment(self):
        return set()


def records(first: int, count: int):
    return [
        SimpleNamespace(topic="t", partition=0, offset=n, key=b"k",
                        value=json.dumps(envelope("ReportCaptured", {"n": n})).encode())
        for n in range(first, first + count)
    ]  # fmt: skip


def run(polls, batch_processor, applied):
    stop = threading.Event()
    consumer = Consumer(polls, stop, applied)
    loop = ConsumeLoop(
        Config(env="test"), name="pipeline-test", consumer=consumer, producer=Producer(),
        processor=lambda event: None, stop=stop, batch_processor=batch_processor, batch_size=2,
    )  # fmt: skip
    return loop, consumer, stop


def test_the_next_poll_is_fetched_while_the_one_before_is_applied():
    applied: list[int] = []
    fetched_meanwhile = []
    holder = {}

    def batch(events):
        if events[0].offset == 0:
            fetched_meanwhile.append(holder["consumer"].second_poll.wait(timeout=5))
        applied.extend(e.offset for e in events)

    loop, consumer, _ = run([records(0, 2), records(2, 2)], batch, applied=applied)
    holder["consumer"] = consumer
    loop.run()
    assert fetched_meanwhile == [True]
    assert applied == [0, 1, 2, 3] and loop.handled == 4


def test_a_poll_is_committed_only_after_all_its_events_are_applied_and_polls_apply_in_order():
    applied: list[int] = []
    threads = set()

    def batch(events):
        threads.add(threading.current_thread().name)
        applied.extend(e.offset for e in events)

    loop, consumer, _ = run([records(0, 3), records(3, 4), records(7, 1)], batch, applied=applied)
    loop.run()
    assert applied == list(range(8))
    assert [offset for offset, _ in consumer.commits] == [3, 7, 8]
    for offset, applied_then in consumer.commits:
        assert set(range(offset)) <= set(applied_then)
    assert len(threads) == 1 and threading.current_thread().name not in threads


def test_an_outage_stopped_in_one_poll_applies_nothing_after_it_and_commits_nothing_of_it():
    applied: list[int] = []
    holder = {}

    def down(*_):
        holder["loop"].stop.set()  # the router is stopped while the database is down
        raise OperationalError("SELECT 1", {}, Exception("down"))

    def batch(events):
        if events[0].offset == 2:
            down()
        applied.extend(e.offset for e in events)

    loop, consumer, _ = run([records(0, 2), records(2, 2), records(4, 2)], batch, applied=applied)
    loop.processor = down  # the events of the failed batch, one by one, fail the same way
    holder["loop"] = loop
    loop.run()
    assert applied == [0, 1]
    assert [offset for offset, _ in consumer.commits] in ([], [2])
