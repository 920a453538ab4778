"""Kafka clients built from the Config: the idempotent producer, group consumers, the admin.

Every process gets its clients here so they all share one set of reliability settings.
"""

from __future__ import annotations

import json
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.net.inet import KafkaNetSocket
from kafka.serializer import Serializer

from services.config import Config
from services.envelopes import topic_name


def _close_sockets_of_failed_connects() -> None:
    """kafka-python 3.0 leaves the socket of a refused connection open; while a broker is down
    every reconnect attempt would leak a file descriptor. Close it when the connect fails."""
    original = KafkaNetSocket.sock_connect
    if getattr(original, "closes_on_failure", False):
        return

    async def sock_connect(self, net, sock, sockaddr, timeout_at=None):
        try:
            return await original(self, net, sock, sockaddr, timeout_at=timeout_at)
        except BaseException:
            sock.close()
            raise

    sock_connect.closes_on_failure = True
    KafkaNetSocket.sock_connect = sock_connect


_close_sockets_of_failed_connects()


# Producers and consumers refresh the cluster's metadata this often: partitions added to a topic
# (infra/README.md, "Partitions") are written to and consumed within this long.
METADATA_MAX_AGE_MS = 10_000

# kafka-python's in-client metrics (sensors updated on every send, request and fetch) are read
# by nobody here: gridflow exports its own (services.observability.metrics). Kept, they were
# about a tenth of the relay's CPU (the producer's sender thread records ~15 samples a request).
CLIENT_METRICS = False


def bootstrap(config: Config) -> list[str]:
    """The broker addresses of a config, as the clients want them."""
    return [s.strip() for s in config.kafka_bootstrap_servers.split(",") if s.strip()]


def make_producer(config: Config, *, client_id: str, timeout_s: float = 10.0) -> KafkaProducer:
    """The idempotent producer (acks=all): a retried send never writes a record twice.

    `timeout_s` bounds a blocked send (no metadata while the broker is down) and the time a
    record may wait for delivery; after it the send fails instead of hanging the process.
    The client's own metrics are off (see `CLIENT_METRICS`).
    """
    ms = int(timeout_s * 1000)
    return KafkaProducer(
        bootstrap_servers=bootstrap(config),
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        max_in_flight_requests_per_connection=5,
        linger_ms=5,
        max_block_ms=ms,
        request_timeout_ms=max(1000, ms // 2),
        delivery_timeout_ms=ms + max(1000, ms // 2) + 5,
        reconnect_backoff_max_ms=2000,
        metadata_max_age_ms=METADATA_MAX_AGE_MS,
        metrics_enabled=CLIENT_METRICS,
        key_serializer=KeySerializer(),
        value_serializer=JsonValueSerializer(),
    )


def make_consumer(
    config: Config,
    logical_topics: list[str],
    *,
    group: str,
    client_id: str,
    max_poll_records: int = 200,
    fetch_wait_ms: int = 0,
) -> KafkaConsumer:
    """A group consumer of logical topics, offsets committed by hand after each batch.

    The group id carries the topic prefix, so separate installations (and test runs) that
    share a broker never share a group. Values stay raw bytes: decoding is the loop's job, so a
    malformed record reaches the dead-letter topic instead of crashing the consumer.

    `fetch_wait_ms` > 0 lets the broker hold a fetch up to that long until about a full poll of
    records (`max_poll_records` of ~1 kB) is there: under a steady trickle the consumer then
    handles fewer, larger polls (each poll's fixed costs — a transaction, an offset commit —
    shared by more records) for at most that much more latency.
    """
    return KafkaConsumer(
        *[topic_name(config.topic_prefix, t) for t in logical_topics],
        bootstrap_servers=bootstrap(config),
        group_id=f"{config.topic_prefix}{group}",
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        # No producer of gridflow writes in Kafka transactions (the outbox is the transaction;
        # consumers absorb a redelivery by event id), so read_committed reads every record as
        # it is acknowledged; it is set so a transactional producer added later is read safely.
        isolation_level="read_committed",
        max_poll_records=max_poll_records,
        **(
            {"fetch_min_bytes": max_poll_records * 1024, "fetch_max_wait_ms": fetch_wait_ms}
            if fetch_wait_ms > 0
            else {}
        ),
        session_timeout_ms=10000,
        heartbeat_interval_ms=3000,
        reconnect_backoff_max_ms=2000,
        metadata_max_age_ms=METADATA_MAX_AGE_MS,
        metrics_enabled=CLIENT_METRICS,
    )


def make_admin(config: Config, *, client_id: str = "gridflow-admin") -> KafkaAdminClient:
    """An admin client (topic creation and inspection)."""
    return KafkaAdminClient(
        bootstrap_servers=bootstrap(config),
        client_id=client_id,
        request_timeout_ms=10000,
    )


class KeySerializer(Serializer):
    """Record keys are UTF-8 text (a cell code, a case id)."""

    def serialize(self, topic: str, headers: Any, data: Any) -> bytes | None:
        if data is None or isinstance(data, bytes):
            return data
        return str(data).encode("utf-8")


class JsonValueSerializer(Serializer):
    """Record values are UTF-8 JSON; bytes pass through untouched."""

    def serialize(self, topic: str, headers: Any, data: Any) -> bytes:
        if isinstance(data, bytes | bytearray):
            return bytes(data)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
