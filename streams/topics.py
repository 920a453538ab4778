"""Creates gridflow's Kafka topics at process start: idempotent, partition counts from config.

Auto-creation is off on the broker (`auto.create.topics.enable=false`), so a process that would
publish to or consume from a topic first makes sure it exists with the configured partitions.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from kafka.errors import (
    KafkaConnectionError,
    KafkaError,
    KafkaTimeoutError,
    TopicAlreadyExistsError,
)

from services.config import Config
from services.envelopes import ALL_TOPICS, topic_name
from streams.kafka import bootstrap, make_admin
from streams.outages import Backoff

log = logging.getLogger(__name__)


def ensure_topics(config: Config, logical_topics: tuple[str, ...] = ALL_TOPICS) -> list[str]:
    """Creates each missing topic with `config.topic_partitions` partitions; returns the new ones.

    Safe to call from many processes at once: a topic someone else created in the meantime is
    simply left as it is. Waits until every topic has a leader on each partition.
    """
    names = [topic_name(config.topic_prefix, t) for t in logical_topics]
    admin = make_admin(config)
    try:
        existing = set(admin.list_topics())
        missing = [n for n in names if n not in existing]
        created: list[str] = []
        if missing:
            spec = {
                n: {
                    "num_partitions": config.topic_partitions,
                    "replication_factor": config.topic_replication_factor,
                    "configs": {"min.insync.replicas": str(min_insync(config))},
                }
                for n in missing
            }
            result = admin.create_topics(spec, timeout_ms=10000, raise_errors=False)
            for topic in result["topics"]:
                code = topic.get("error_code", 0)
                if code == 0:
                    created.append(topic["name"])
                elif code != TopicAlreadyExistsError.errno:
                    raise RuntimeError(
                        f"cannot create topic {topic['name']}: {topic.get('error_message') or code}"
                    )
        admin.wait_for_topics(names, timeout_ms=30000)
        if created:
            log.info("created topics %s", ", ".join(created))
        return created
    finally:
        admin.close()


def min_insync(config: Config) -> int:
    """Replicas that must have a record before an acks=all write is acknowledged: all but one
    (2 of 3), so one broker may be down without a write being refused or lost."""
    return max(1, config.topic_replication_factor - 1)


@dataclass(frozen=True)
class Replication:
    """What the cluster says of gridflow's topics: its brokers (those alive; the fenced ones
    stopped heartbeating), the partitions and those whose in-sync replicas are fewer than their
    replicas, or that have no leader."""

    brokers: tuple[int, ...]
    fenced: tuple[int, ...]
    partitions: int
    under_replicated: int
    leaderless: int


def replication(config: Config) -> Replication:
    """The replication state of this installation's topics (those that exist), asked of each
    broker alone in turn until one answers: a broker that is down (and still in the others'
    metadata until it is fenced) refuses, and the next is asked; three rounds, half a second
    apart, before the last refusal is raised."""
    last: Exception | None = None
    servers = bootstrap(config)
    for round_ in range(3):
        if round_:
            time.sleep(0.5)
        for server in servers:
            try:
                return _replication(config.with_(kafka_bootstrap_servers=server))
            except (KafkaConnectionError, KafkaTimeoutError) as exc:  # that one is down
                last = exc
    assert last is not None
    raise last


def _replication(config: Config) -> Replication:
    names = [topic_name(config.topic_prefix, t) for t in ALL_TOPICS]
    admin = make_admin(config)
    try:
        members = admin.describe_cluster()["brokers"]
        existing = set(admin.list_topics())
        described = admin.describe_topics([n for n in names if n in existing])
    finally:
        admin.close()
    parts = [p for topic in described for p in topic["partitions"]]
    return Replication(
        brokers=tuple(sorted(b["broker_id"] for b in members if not b.get("is_fenced"))),
        fenced=tuple(sorted(b["broker_id"] for b in members if b.get("is_fenced"))),
        partitions=len(parts),
        under_replicated=sum(1 for p in parts if len(p["isr_nodes"]) < len(p["replica_nodes"])),
        leaderless=sum(1 for p in parts if p["leader_id"] < 0),
    )


def grow_partitions(config: Config, logical: str, count: int) -> None:
    """Raises the partitions of a topic to `count` (Kafka never shrinks them). Records with a
    key go to partition hash(key) mod count from then on: a key's later records may land on
    another partition than its earlier ones (infra/README.md, "Partitions")."""
    admin = make_admin(config)
    try:
        admin.create_partitions({topic_name(config.topic_prefix, logical): count})
    finally:
        admin.close()


def wait_for_topics(config: Config, stop: threading.Event) -> bool:
    """`ensure_topics`, retried with backoff while the broker is unreachable.

    Returns True once the topics exist, False when `stop` was set first.
    """
    backoff = Backoff(first_s=0.5, cap_s=10.0)
    while not stop.is_set():
        try:
            ensure_topics(config)
            return True
        except (KafkaError, OSError) as exc:
            log.warning("cannot reach Kafka to create topics (%s); retrying", exc)
            stop.wait(backoff.next_delay())
    return False
