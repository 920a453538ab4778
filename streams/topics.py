"""Creates gridflow's Kafka topics at process start: idempotent, partition counts from config.

Auto-creation is off on the broker (`auto.create.topics.enable=false`), so a process that would
publish to or consume from a topic first makes sure it exists with the configured partitions.
"""

from __future__ import annotations

import logging
import threading

from kafka.errors import KafkaError, TopicAlreadyExistsError

from services.config import Config
from services.envelopes import ALL_TOPICS, topic_name
from streams.kafka import make_admin
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
