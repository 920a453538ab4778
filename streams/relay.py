"""The outbox relay (`gridflow relay`): publishes outbox rows to Kafka and marks them sent.

Ordering and several relays. Every outbox row belongs to a bucket, a hash of (topic, key)
modulo `BUCKETS`. A relay publishes only the buckets it holds a transaction-scoped advisory
lock on (`pg_try_advisory_xact_lock`), and inside a bucket it publishes rows in id order,
waits for the broker to acknowledge them all (idempotent producer, acks=all) and marks them
sent in the same transaction that holds the lock. So at any moment one relay at most owns a
key, a key's rows go out in the order they were written, and several relays split the buckets
between them without ever sending a row twice while they are healthy. A pass takes every bucket
with unsent rows that no other relay holds (`max_buckets`, all by default): a pass that took a
quarter of them left the rest waiting for the passes after it, each after a linger, which was
most of the time between a report and its dispatch on the live feed.

Delivery is at least once: if the database commit fails after the broker has acknowledged a
batch, those rows are published again by the next attempt. Consumers record the event ids they
applied, so a repeated event changes nothing.

Waking. An insert into `outbox` fires `NOTIFY gridflow_outbox`; the relay LISTENs on its own
connection and also polls every `relay_poll_interval_s`, so a lost notification (or a lost
listening connection) only delays publishing. When Kafka is down the relay drops its producer,
backs off (capped exponential) and catches up once the broker answers again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from kafka.errors import KafkaError
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from services.config import Config
from services.envelopes import topic_name
from services.observability.metrics import OUTBOX_PUBLISHED, RELAY_FAILURES
from services.store import direct
from services.store.db import make_engine
from services.store.outbox import NOTIFY_CHANNEL
from streams.kafka import make_producer
from streams.outages import Backoff
from streams.topics import wait_for_topics

log = logging.getLogger(__name__)

BUCKETS = 64
# First half of the two-int advisory lock key: a constant naming the outbox relay.
LOCK_CLASS = 0x6F7574  # "out"
BUCKET_SQL = f"(((hashtext(topic || '|' || key) % {BUCKETS}) + {BUCKETS}) % {BUCKETS})"
_BUCKET = BUCKET_SQL.replace("%", "%%")  # sent by psycopg, where a literal % is written %%
# One round trip: the buckets with unsent rows are tried in random order until max_buckets are
# held (the LIMIT stops the scan, so no further bucket is locked), and their oldest rows are
# locked and read. The envelope as text: published as it is stored, never parsed and serialised
# again here (a patrol batch's envelope holds 500 points).
_CLAIM = f"""
    WITH candidates AS (
        SELECT b FROM (SELECT DISTINCT {_BUCKET} AS b FROM outbox WHERE sent_at IS NULL) d
        ORDER BY random()
    ), mine AS (
        SELECT b FROM candidates WHERE pg_try_advisory_xact_lock(%(c)s, b) LIMIT %(max)s
    )
    SELECT id, topic, key, envelope::text AS envelope FROM outbox
    WHERE sent_at IS NULL AND {_BUCKET} IN (SELECT b FROM mine)
    ORDER BY id LIMIT %(limit)s FOR UPDATE
"""
# Sent rows leave `outbox_unsent` only when the table is vacuumed: until then the index still
# lists every row written since, and a bitmap scan (what the planner picks for a few unsent
# rows) visits each of them in the heap on every pass — 30-80 ms a claim after 20,000 rows in
# a scratch test, most of the relay's database time. A plain index scan marks the entries of
# sent rows dead as it passes them and skips them from then on (~1 ms a claim at 28,000).
_INDEX_SCANS = "SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off"
_MARK_SENT = "UPDATE outbox SET sent_at = now() WHERE id = ANY(%(ids)s)"


@dataclass
class RelayStats:
    published: int = 0
    batches: int = 0
    failures: int = 0


class OutboxRelay:
    """Publishes unsent outbox rows until `stop` is set (see the module text for guarantees)."""

    def __init__(
        self,
        config: Config,
        engine: Engine,
        stop: threading.Event,
        *,
        batch_size: int = 500,
        max_buckets: int = BUCKETS,
        linger_s: float = 0.03,
        producer_factory: Callable[[], object] | None = None,
    ) -> None:
        self.config = config
        self.engine = engine
        self.stop = stop
        self.batch_size = batch_size
        self.max_buckets = max_buckets
        self.linger_s = linger_s
        self.producer_factory = producer_factory or (
            lambda: make_producer(config, client_id="gridflow-relay")
        )
        self.producer = None
        self.stats = RelayStats()
        self._listener: psycopg.Connection | None = None

    def publish_once(self) -> int:
        """One pass: lock some buckets with unsent rows, publish their rows, mark them sent.

        Returns how many rows were published. Raises on a broker or database failure, in which
        case nothing of this pass is marked sent.
        """
        if self.producer is None:
            self.producer = self.producer_factory()
        # psycopg directly on a pooled connection (SQLAlchemy Core cost ~0.3 ms of Python a
        # statement); its statements prepared on the server from their first use.
        with direct.transaction(self.engine) as statements:
            statements.execute(_INDEX_SCANS, prepare=False)
            rows = statements.execute(
                _CLAIM, {"c": LOCK_CLASS, "max": self.max_buckets, "limit": self.batch_size}
            ).fetchall()
            if not rows:
                return 0
            self._send([(topic, key, envelope) for _, topic, key, envelope in rows])
            statements.execute(_MARK_SENT, {"ids": [row[0] for row in rows]})
        self.stats.published += len(rows)
        self.stats.batches += 1
        OUTBOX_PUBLISHED.inc(len(rows))
        return len(rows)

    def _send(self, rows: list[tuple[str, str, str]]) -> None:
        """Publishes (logical topic, key, envelope text) rows and waits for the broker to
        acknowledge every one; raises the first delivery error."""
        producer = self.producer
        prefix = self.config.topic_prefix
        futures = [
            producer.send(topic_name(prefix, topic), key=key, value=envelope.encode("utf-8"))
            for topic, key, envelope in rows
        ]
        producer.flush(timeout=30)
        for future in futures:
            future.get(timeout=0)  # raises the delivery error, if any

    def run(self) -> None:
        """Publishes until stopped: drains the outbox, then sleeps until NOTIFY or the poll tick."""
        backoff = Backoff(first_s=0.2, cap_s=10.0)
        try:
            while not self.stop.is_set():
                started = time.monotonic()
                try:
                    published = self.publish_once()
                    backoff.reset()
                except (KafkaError, DBAPIError) as exc:
                    self.stats.failures += 1
                    RELAY_FAILURES.inc()
                    log.warning("relay: %s: %s; backing off", type(exc).__name__, exc)
                    self._drop_producer()
                    self.stop.wait(backoff.next_delay())
                    continue
                if published:
                    log.debug("relay: published %d", published)
                    if published < self.batch_size:
                        # Rows are arriving one by one: let a few more gather, so a pass (four
                        # statements and a broker round trip) carries a batch, not one row. A
                        # pass that itself took that long gathered them already: no wait.
                        self.stop.wait(max(0.0, self.linger_s - (time.monotonic() - started)))
                    continue
                self.wait_for_rows(self.config.relay_poll_interval_s)
        finally:
            self.close()

    def wait_for_rows(self, timeout_s: float) -> None:
        """Returns on a NOTIFY from the outbox, on stop, or after `timeout_s` (poll fallback)."""
        remaining = timeout_s
        while remaining > 0 and not self.stop.is_set():
            step = min(0.5, remaining)
            remaining -= step
            listener = self._listen()
            if listener is None:
                self.stop.wait(step)
                continue
            try:
                if any(True for _ in listener.notifies(timeout=step, stop_after=1)):
                    return
            except psycopg.Error as exc:
                log.warning("relay: listening connection lost (%s); polling", exc)
                self._close_listener()

    def _listen(self) -> psycopg.Connection | None:
        if self._listener is not None and not self._listener.closed:
            return self._listener
        url = make_url(self.config.database_url).set(drivername="postgresql")
        try:
            conn = psycopg.connect(
                url.render_as_string(hide_password=False), autocommit=True, connect_timeout=2
            )
            conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        except psycopg.Error as exc:
            log.warning("relay: cannot LISTEN (%s); polling", exc)
            return None
        self._listener = conn
        return conn

    def _close_listener(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _drop_producer(self) -> None:
        """Discards the producer and whatever it still buffers (those rows stay unsent)."""
        if self.producer is not None:
            try:
                self.producer.close(timeout=0)
            except KafkaError as exc:
                log.warning("relay: closing the producer: %s", exc)
            self.producer = None

    def close(self) -> None:
        """Flushes and closes the producer and the listening connection."""
        if self.producer is not None:
            try:
                self.producer.close(timeout=5)
            except KafkaError as exc:
                log.warning("relay: closing the producer: %s", exc)
            self.producer = None
        self._close_listener()


def run_relay(config: Config, stop: threading.Event) -> None:
    """Runs one relay until `stop` is set: topics first, then the publish loop."""
    if not wait_for_topics(config, stop):
        return
    engine = make_engine(config.database_url, pool_size=2, pre_ping=False)
    try:
        OutboxRelay(config, engine, stop).run()
    finally:
        engine.dispose()
