"""The per-process fan-out: a Kafka reader that sends case events, worker positions, the
patrol's coverage changes and the grid workers' own notifications (app-notifications.v1, to
the account's room alone) to the Socket.IO clients connected to *this* process.

Every API process runs one `LiveFeed` thread. It reads every partition of the case-events and
patrol-positions topics itself (the small latest-point event of each patrol batch, not the
500-point batches: the map needs one point, and a busy API process could not keep up decoding
40 kB per batch) (manual assignment, no consumer group, nothing committed), so any
number of API processes can run behind a load balancer and each fans out to its own clients
only; no process depends on another and none shares a message queue. It starts at the records
written since the process started (looked up by timestamp), so it never floods its clients with
old history: a client's missed events come from the database by case_event id (see `server.py`).

Kafka being down only delays the feed: the reader is rebuilt with capped backoff and resumes
from the offsets it had reached.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import orjson
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from services.config import Config
from services.envelopes import (
    APP_NOTIFICATIONS,
    CASE_EVENTS,
    PATROL_COVERAGE,
    PATROL_POSITIONS,
    topic_name,
)
from services.live import queries
from services.live.messages import EventMessage, canonical_event_id, event_messages
from services.live.patrol import patrol_messages
from services.live.positions import WorkerPosition, WorkerPositions
from services.live.rooms import account_room, worker_rooms

log = logging.getLogger(__name__)

# publish(event name, message, rooms): emits to this process's clients in those rooms (the
# message a dict, or JSON text as an orjson.Fragment).
Publish = Callable[[str, Any, list[str]], None]
# publish_batch(event name, [(message, rooms), …]): emits to each client in any of those rooms
# one packet with the list of the messages addressed to it, in order.
PublishBatch = Callable[[str, list[tuple[Any, list[str]]]], None]
TOPIC_REFRESH_S = 2.0
ASSIGNED_REFRESH_S = 30.0
LOOKUP_ATTEMPTS = 5


def client_id() -> str:
    """The name this process's reader shows to the broker: gridflow-live-<host>-<pid>."""
    return f"gridflow-live-{socket.gethostname()}-{os.getpid()}"


class LiveFeed(threading.Thread):
    """Reads case events and worker positions until `stop` is set; publishes them to their
    rooms (a read's case events together, see `PublishBatch`)."""

    def __init__(
        self,
        config: Config,
        engine: Engine,
        publish: Publish,
        publish_batch: PublishBatch,
        positions: WorkerPositions,
        stop: threading.Event,
    ) -> None:
        super().__init__(name="gridflow-live-feed", daemon=True)
        self.config = config
        self.engine = engine
        self.publish = publish
        self.publish_batch = publish_batch
        self.positions = positions
        self.stop = stop
        self.started_ms = int(time.time() * 1000)
        self.case_topic = topic_name(config.topic_prefix, CASE_EVENTS)
        self.position_topic = topic_name(config.topic_prefix, PATROL_POSITIONS)
        self.coverage_topic = topic_name(config.topic_prefix, PATROL_COVERAGE)
        self.notice_topic = topic_name(config.topic_prefix, APP_NOTIFICATIONS)
        self.topics = (self.case_topic, self.position_topic, self.coverage_topic,
                       self.notice_topic)  # fmt: skip
        self.ready = threading.Event()  # set once every topic is assigned
        self._consumer: KafkaConsumer | None = None
        self._offsets: dict[TopicPartition, int] = {}
        self._next_refresh = 0.0
        self._worker_cells: dict[int, tuple[float, tuple[str, ...]]] = {}

    def run(self) -> None:
        delay = 0.5
        while not self.stop.is_set():
            try:
                self._step()
                delay = 0.5
            # SQLAlchemyError: also a pool exhausted under load (TimeoutError), not only the
            # database itself failing; the feed waits and goes on instead of dying.
            except (KafkaError, OSError, SQLAlchemyError) as exc:
                log.warning("live feed: %s; retrying in %.1f s", exc, delay)
                self._close()
                self.stop.wait(delay)
                delay = min(delay * 2, 10.0)
        self._close()

    def _step(self) -> None:
        if self._consumer is None:
            self._consumer = KafkaConsumer(
                bootstrap_servers=[
                    s.strip() for s in self.config.kafka_bootstrap_servers.split(",") if s.strip()
                ],
                client_id=client_id(),
                group_id=None,
                enable_auto_commit=False,
                max_poll_records=500,
                reconnect_backoff_max_ms=2000,
                metrics_enabled=False,  # nobody reads the client's own; ours are exported
            )
            self._next_refresh = 0.0
        if time.monotonic() >= self._next_refresh:
            self._assign()
        if not self._consumer.assignment():
            self.stop.wait(TOPIC_REFRESH_S)
            return
        batches = self._consumer.poll(timeout_ms=250)
        cases: list[dict[str, Any]] = []
        positions: list[dict[str, Any]] = []
        patrol: list[dict[str, Any]] = []
        for tp, records in batches.items():
            for record in records:
                self._offsets[tp] = record.offset + 1
                body = _decode(record.value)
                if body is None:
                    continue
                if tp.topic == self.case_topic:
                    cases.append(body)
                elif tp.topic == self.coverage_topic:
                    patrol.append(body)
                elif tp.topic == self.notice_topic:
                    self._notification(body)
                else:
                    positions.append(body)
        if positions:
            self._positions(positions)
        if patrol:
            coverage, tracks = patrol_messages(patrol, self._cells_of)
            if coverage:
                self.publish_batch("patrol_coverage", coverage)
            if tracks:
                self.publish_batch("patrol_track", tracks)
        if cases:
            self._case_events(cases)

    def _assign(self) -> None:
        """(Re)assigns every partition of the topics; new partitions start at the records
        written since this process started, known ones where the reader had got to."""
        consumer = self._consumer
        assert consumer is not None
        wanted: list[TopicPartition] = []
        for topic in self.topics:
            partitions = consumer.partitions_for_topic(topic) or ()  # None: not created yet
            wanted += [TopicPartition(topic, p) for p in sorted(partitions)]
        complete = {tp.topic for tp in wanted} == set(self.topics)
        self._next_refresh = time.monotonic() + (
            ASSIGNED_REFRESH_S if complete else TOPIC_REFRESH_S
        )
        if set(wanted) == consumer.assignment():
            return
        consumer.assign(wanted)
        fresh = [tp for tp in wanted if tp not in self._offsets]
        if fresh:
            ends = consumer.end_offsets(fresh)
            since = consumer.offsets_for_times({tp: self.started_ms for tp in fresh})
            for tp in fresh:
                found = since.get(tp)
                self._offsets[tp] = found.offset if found is not None else ends[tp]
        for tp in wanted:
            consumer.seek(tp, self._offsets[tp])
        if complete:
            self.ready.set()

    def _case_events(self, bodies: list[dict[str, Any]]) -> None:
        """Looks the events up in the database (for their case_event id and the case as it is
        now; the messages come encoded by PostgreSQL) and publishes them together, each to the
        rooms of its case, in the order read. An event whose row is not visible yet is looked
        up again briefly; the relay publishes only committed rows, so this is rare."""
        wanted = []
        for body in bodies:
            event_id = canonical_event_id(body.get("event_id"))
            if event_id is None:
                log.warning("live feed: a case event without a valid event_id; not shown")
                continue
            wanted.append(event_id)
        found: dict[str, EventMessage] = {}
        for attempt in range(LOOKUP_ATTEMPTS):
            missing = [e for e in wanted if e not in found]
            if not missing:
                break
            if attempt:
                self.stop.wait(0.1 * attempt)
            for message in event_messages(self.engine, missing):
                found[message.event_id] = message
        batch = []
        for event_id in wanted:
            message = found.get(event_id)
            if message is None:
                log.warning("live feed: case event %s not in the database; not shown", event_id)
                continue
            batch.append((message.body, message.rooms))
        if batch:
            self.publish_batch("case_events", batch)

    def _notification(self, body: dict[str, Any]) -> None:
        """A notification for one account's phone app, to that account's sockets alone."""
        payload = body.get("payload")
        account = payload.get("account_id") if isinstance(payload, dict) else None
        if isinstance(account, int) and isinstance(payload.get("id"), int):
            self.publish("notification", payload, [account_room(account)])

    def _positions(self, bodies: list[dict[str, Any]]) -> None:
        """Publishes each worker's new position to the rooms of its cells (looked up once per
        poll for the workers not seen in the last minute, not once per position)."""
        found = []
        for body in bodies:
            payload = body.get("payload") or {}
            try:
                worker_id = int(payload["worker_id"])
                lat, lng, t = float(payload["lat"]), float(payload["lng"]), str(payload["t"])
            except (KeyError, TypeError, ValueError):
                continue
            found.append((worker_id, lat, lng, t))
        cells_of = self._cells_of([w for w, *_ in found])
        for worker_id, lat, lng, t in found:
            cells = cells_of[worker_id]
            position = WorkerPosition(worker_id, lat, lng, t, cells)
            if self.positions.update(position):
                self.publish("worker_position", position.as_message(), worker_rooms(cells))

    def _cells_of(self, workers: list[int]) -> dict[int, tuple[str, ...]]:
        """The cells of these workers (looked up once a minute per worker, not per event)."""
        now = time.monotonic()
        stale = {w for w in workers if self._worker_cells.get(w, (0.0,))[0] <= now}
        if stale:
            found = queries.workers_cells(self.engine, sorted(stale))
            for worker_id in stale:
                self._worker_cells[worker_id] = (now + 60.0, found.get(worker_id, ()))
        return {w: self._worker_cells[w][1] for w in workers}

    def _close(self) -> None:
        if self._consumer is not None:
            try:
                self._consumer.close()
            except KafkaError as exc:
                log.debug("live feed: closing the reader: %s", exc)
            self._consumer = None


def _decode(value: bytes | None) -> dict[str, Any] | None:
    try:
        body = orjson.loads(value or b"")
    except orjson.JSONDecodeError:  # also raised for bytes that are not UTF-8
        log.warning("live feed: skipped a record that is not a JSON envelope")
        return None
    return body if isinstance(body, dict) else None
