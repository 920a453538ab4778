"""The one consume loop every stream processor runs in: poll, decode, process, dead-letter, commit.

A processor is a plain function over a decoded `Event`. The loop around it is written here once:

* records are decoded from the JSON envelope; one that cannot be decoded goes to the
  dead-letter topic with the reason, and the stream goes on;
* a processor that raises `Rejected` (the event cannot be applied, ever) dead-letters the event;
* a processor failing because a dependency is unavailable (database down, broker unreachable)
  is retried with capped exponential backoff for as long as it takes: nothing is dead-lettered
  for an outage;
* any other error is retried a few times, then dead-lettered with its description;
* with a batch processor, the events of a poll are applied `batch_size` at a time in one
  transaction each (one commit instead of one per event); events the batch processor refuses
  are dead-lettered while the rest of the chunk stays applied; a chunk that fails for any
  other reason is applied again event by event as above, so batching never changes what is
  dead-lettered;
* offsets are committed after the whole polled batch is handled, so a crash re-delivers at most
  that batch. Processors are idempotent (they record the events they applied), so re-delivery
  and replays from offset 0 change nothing;
* with a batch processor, the next poll is fetched and decoded while one thread applies the
  poll before (`run_batches`): polls are applied in order, and a poll's offsets are committed
  only once it is applied, so a crash re-delivers at most two polls.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata, TopicPartition

from services.config import Config
from services.envelopes import DEAD_LETTER, envelope, topic_name
from services.observability.metrics import CONSUMER_LAG, EVENTS_DEAD_LETTERED, EVENTS_PROCESSED
from streams.consumed import BatchProcessor, Event, Processor, Rejected, decode
from streams.outages import Backoff, is_outage

log = logging.getLogger(__name__)
LAG_INTERVAL_S = 1.0  # how often the consumer-lag gauges are refreshed


class ConsumeLoop:
    """Runs `processor` over every record the consumer receives until `stop` is set.

    `name` identifies the processor in dead letters and logs. The consumer and producer
    belong to the caller, which closes them after `run` returns.
    """

    def __init__(
        self,
        config: Config,
        *,
        name: str,
        consumer: Any,
        producer: Any,
        processor: Processor,
        stop: threading.Event,
        max_attempts: int = 3,
        poll_timeout_ms: int = 500,
        batch_processor: BatchProcessor | None = None,
        batch_size: int = 100,
    ) -> None:
        self.config = config
        self.name = name
        self.consumer = consumer
        self.producer = producer
        self.processor = processor
        self.stop = stop
        self.max_attempts = max_attempts
        self.batch_processor = batch_processor if batch_size > 1 else None
        self.batch_size = batch_size
        self.poll_timeout_ms = poll_timeout_ms
        self.dead_letter_topic = topic_name(config.topic_prefix, DEAD_LETTER)
        self.handled = 0
        self.dead_lettered = 0
        self._processed = EVENTS_PROCESSED.labels(name)
        self._dead_letters = EVENTS_DEAD_LETTERED.labels(name)
        self._lag_due = 0.0
        self._stopped_applying = False

    def run(self) -> None:
        """Polls and handles batches until stopped; commits offsets after each full batch."""
        if self.batch_processor is not None:
            self.run_batches()
            return
        backoff = Backoff()
        while not self.stop.is_set():
            batches = self.poll(backoff)
            if not batches:
                continue
            records = [record for part in batches.values() for record in part]
            if not all(self.handle(record) for record in records):
                # Stopped in the middle of an outage: leave offsets uncommitted so the
                # unhandled records are delivered again.
                return
            self.commit()

    def run_batches(self) -> None:
        """The loop with a batch processor, two polls in flight: while one thread applies a
        poll's events (its transactions), this one fetches and decodes the next poll and
        commits the offsets of the poll before. Polls are applied one after the other, in
        order, by one thread; a poll's offsets are committed only once all its events are
        applied (committed) or dead-lettered, never those of the poll still being applied."""
        backoff = Backoff()
        self._stopped_applying = False
        pending: tuple[Future[bool], dict[Any, Any]] | None = None
        with ThreadPoolExecutor(1, thread_name_prefix=f"{self.name}-apply") as applier:
            try:
                while not self.stop.is_set():
                    batches = self.poll(backoff)
                    applying = None
                    if batches:
                        records = [record for part in batches.values() for record in part]
                        events = self.decode_all(records)
                        if events is None:
                            return
                        applying = applier.submit(self.apply_after, events), _ends(records)
                    if pending is not None:
                        done, pending = pending, None
                        if not self.finish(done):
                            return
                    pending = applying
            finally:
                if pending is not None:
                    self.finish(pending)

    def apply_after(self, events: list[tuple[Any, Event]]) -> bool:
        """`apply_batch` in the applying thread, unless a poll before was stopped before its
        end: then nothing more is applied (its unhandled events come again first)."""
        if self._stopped_applying:
            return False
        complete = self.apply_batch(events)
        self._stopped_applying = not complete
        return complete

    def finish(self, applying: tuple[Future[bool], dict[Any, Any]]) -> bool:
        """Waits for a poll being applied, then commits its offsets; False (and no commit)
        when it was stopped before the end (in an outage)."""
        future, offsets = applying
        if not future.result():
            # Stopped in the middle of an outage: leave offsets uncommitted so the unhandled
            # records are delivered again.
            return False
        self.commit(offsets)
        return True

    def poll(self, backoff: Backoff) -> dict[Any, list[Any]]:
        """One poll of the consumer (empty after a failure, once backed off)."""
        try:
            batches = self.consumer.poll(timeout_ms=self.poll_timeout_ms)
        except KafkaError as exc:
            log.warning("%s: poll failed (%s); backing off", self.name, exc)
            self.stop.wait(backoff.next_delay())
            return {}
        backoff.reset()
        self.record_lag()
        return batches

    def record_lag(self) -> None:
        """Sets gridflow_consumer_lag for each assigned partition (at most once a second):
        the partition's end as last fetched minus this consumer's position."""
        now = time.monotonic()
        if now < self._lag_due:
            return
        self._lag_due = now + LAG_INTERVAL_S
        try:
            for tp in self.consumer.assignment():
                end = self.consumer.highwater(tp)
                position = self.consumer.position(tp, timeout_ms=0)
                if end is not None and position is not None:
                    lag = max(0, end - position)
                    CONSUMER_LAG.labels(self.name, tp.topic, str(tp.partition)).set(lag)
        except KafkaError as exc:
            log.debug("%s: consumer lag unknown (%s)", self.name, exc)

    def commit(self, offsets: dict[Any, Any] | None = None) -> None:
        """Commits `offsets` (by default the positions of the last poll); a failed commit only
        means re-delivery. Dead letters are flushed first."""
        try:
            self.producer.flush(timeout=30)
            if offsets is None:
                self.consumer.commit()
            else:
                self.consumer.commit(offsets)
        except KafkaError as exc:
            log.warning("%s: offset commit failed (%s); batch will be re-delivered", self.name, exc)

    def decode_all(self, records: list[Any]) -> list[tuple[Any, Event]] | None:
        """The records' events; those that cannot be decoded are dead-lettered. None only
        when stopped before the end."""
        events: list[tuple[Any, Event]] = []
        for record in records:
            try:
                events.append((record, decode(record)))
            except Rejected as exc:
                if not self.dead_letter(record, str(exc), "Rejected"):
                    return None
        return events

    def apply_batch(self, events: list[tuple[Any, Event]]) -> bool:
        """Hands the decoded events to the batch processor, `batch_size` at a time (one
        transaction each); a chunk that fails in any way is handled again event by event, with
        the retries and dead letters of `handle`. False only when stopped before the end."""
        assert self.batch_processor is not None
        for start in range(0, len(events), self.batch_size):
            chunk = events[start : start + self.batch_size]
            try:
                refused = self.batch_processor([event for _, event in chunk]) or ()
            except Exception as exc:  # noqa: BLE001 - every event is handled again below
                log.info("%s: a batch of %d failed (%s: %s); handling its events one by one",
                         self.name, len(chunk), type(exc).__name__, exc)  # fmt: skip
                if not all(self.handle(record) for record, _ in chunk):
                    return False
                continue
            records_of = {id(event): record for record, event in chunk}
            for event, reason in refused:
                if not self.dead_letter(records_of[id(event)], reason, "Rejected", event):
                    return False
            self.handled += len(chunk) - len(refused)
            self._processed.inc(len(chunk) - len(refused))
        return True

    def handle(self, record: Any) -> bool:
        """Processes one record to completion; False only when stopped before finishing it."""
        try:
            event = decode(record)
        except Rejected as exc:
            return self.dead_letter(record, str(exc), "Rejected")
        backoff = Backoff()
        failures = 0
        while True:
            try:
                self.processor(event)
                self.handled += 1
                self._processed.inc()
                return True
            except Rejected as exc:
                return self.dead_letter(record, str(exc), "Rejected", event)
            except Exception as exc:  # noqa: BLE001 - classified below, never swallowed
                if is_outage(exc):
                    where = _where(record)
                    log.warning("%s: %s at %s; retrying", self.name, type(exc).__name__, where)
                else:
                    failures += 1
                    log.exception("%s: failed to process %s", self.name, _where(record))
                    if failures >= self.max_attempts:
                        reason = f"{type(exc).__name__}: {exc}"
                        return self.dead_letter(record, reason[:2000], type(exc).__name__, event)
                if self.stop.wait(backoff.next_delay()):
                    return False

    def dead_letter(self, record: Any, reason: str, error: str, event: Event | None = None) -> bool:
        """Publishes the record and the reason to the dead-letter topic (retried until it is)."""
        raw = record.value
        payload = {
            "consumer": self.name,
            "source_topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "key": record.key.decode("utf-8", "replace") if record.key is not None else None,
            "reason": reason,
            "error": error,
            "event_id": str(event.event_id) if event else None,
            "event_type": event.type if event else None,
            "value": raw.decode("utf-8", "replace") if isinstance(raw, bytes) else None,
        }
        letter = envelope("EventDeadLettered", payload, occurred_at=datetime.now(UTC))
        log.error("%s: dead-lettering %s: %s", self.name, _where(record), reason)
        backoff = Backoff()
        while True:
            try:
                self.producer.send(self.dead_letter_topic, key=payload["key"], value=letter).get(
                    timeout=30
                )
                self.dead_lettered += 1
                self._dead_letters.inc()
                return True
            except KafkaError as exc:
                log.warning("%s: dead-letter publish failed (%s); retrying", self.name, exc)
                if self.stop.wait(backoff.next_delay()):
                    return False


def _ends(records: list[Any]) -> dict[TopicPartition, OffsetAndMetadata]:
    """The offsets to commit once `records` are handled: per partition, the next offset."""
    ends: dict[TopicPartition, int] = {}
    for record in records:
        tp = TopicPartition(record.topic, record.partition)
        ends[tp] = max(ends.get(tp, 0), record.offset + 1)
    return {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in ends.items()}


def _where(record: Any) -> str:
    return f"{record.topic}[{record.partition}]@{record.offset}"
