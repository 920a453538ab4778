"""`gridflow patrol`: the patrol-pings stream folded into tracks, attendance and coverage.

Consumer group `patrol` on patrol-pings.v1 (keyed by worker, so one worker's batches are read
in order by one processor), in the one consume loop of `streams.loop` with a batch processor:
the events of a poll are applied `batch_size` at a time, each chunk one transaction of
`services.patrol.aggregate.Aggregator` (why a retry or a replay from offset 0 changes no
figure is written there). A payload that is not a batch of pings is refused and
dead-lettered; events of other types are passed over. After each chunk's commit, what it
changed of today goes to patrol-coverage.v1 for the live map (`PatrolCoverageChanged`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from services.config import Config
from services.envelopes import PATROL_COVERAGE, PATROL_PINGS, envelope, topic_name
from services.patrol.aggregate import Aggregator, BadBatch, Folded, Row, points_of
from services.patrol.views import live_change
from services.store.db import make_engine
from streams.consumed import BatchProcessor, Event, Processor, Rejected
from streams.kafka import make_consumer, make_producer
from streams.loop import ConsumeLoop
from streams.topics import wait_for_topics

log = logging.getLogger(__name__)
PATROL = "patrol"
PINGS_RECEIVED = "PatrolPingsReceived"
BATCH_SIZE = 200
Listener = Callable[[Folded], None]


def make_patrol(
    engine: Engine, config: Config, on_folded: Listener | None = None
) -> tuple[BatchProcessor, Processor]:
    """The processor as (batch processor, one-event processor) for the consume loop.
    `on_folded` is told what each applied chunk changed (after its commit)."""
    aggregator = Aggregator(engine, config)

    def fold(events: list[Event]) -> list[tuple[Event, str]]:
        refused: list[tuple[Event, str]] = []
        rows: list[Row] = []
        for event in events:
            if event.type != PINGS_RECEIVED:
                continue
            try:
                rows += points_of(event.payload, aggregator.zone)
            except BadBatch as exc:
                refused.append((event, str(exc)))
        folded = aggregator.apply(rows)
        if on_folded is not None and folded.worker_days:
            on_folded(folded)
        return refused

    def fold_one(event: Event) -> None:
        for _, reason in fold([event]):
            raise Rejected(reason)

    return fold, fold_one


def publisher(producer: Any, config: Config) -> Listener:
    """Sends today's part of each applied chunk to patrol-coverage.v1 (not waited for: a
    lost message is made good by the next change of the same cells)."""
    topic = topic_name(config.topic_prefix, PATROL_COVERAGE)
    zone = ZoneInfo(config.timezone)

    def publish(folded: Folded) -> None:
        today = datetime.now(zone).date()
        change = live_change(folded.worker_days, folded.cells, today)
        if change is not None:
            message = envelope("PatrolCoverageChanged", change)
            producer.send(topic, key=change["day"], value=message)

    return publish


def run_patrol(config: Config, stop: threading.Event, *, group: str = PATROL,
               batch_size: int = BATCH_SIZE) -> None:  # fmt: skip
    """Runs the processor until `stop` is set. A new `group` replays the topic from offset 0
    (every figure stays as it is)."""
    if not wait_for_topics(config, stop):
        return
    engine = make_engine(config.database_url, pool_size=2)
    consumer = make_consumer(config, [PATROL_PINGS], group=group, client_id="gridflow-patrol")
    producer = make_producer(config, client_id="gridflow-patrol")
    fold, fold_one = make_patrol(engine, config, publisher(producer, config))
    try:
        ConsumeLoop(config, name=PATROL, consumer=consumer, producer=producer, processor=fold_one,
                    stop=stop, batch_processor=fold, batch_size=batch_size).run()  # fmt: skip
    finally:
        consumer.close(autocommit=False)
        producer.close(timeout=5)
        engine.dispose()
