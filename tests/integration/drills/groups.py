"""A consumer group as Kafka tells it: its members, and what it has not committed yet."""

from __future__ import annotations

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from services.config import Config
from services.envelopes import topic_name


def _servers(config: Config) -> list[str]:
    return config.kafka_bootstrap_servers.split(",")


def joined(config: Config, group: str) -> tuple[str | None, int]:
    """The group's state and how many members it has (None, 0 before it exists)."""
    group_id = f"{config.topic_prefix}{group}"
    admin = KafkaAdminClient(bootstrap_servers=_servers(config))
    try:
        info = admin.describe_groups([group_id]).get(group_id) or {}
    except KafkaError:
        return None, 0
    finally:
        admin.close()
    return info.get("group_state"), len(info.get("members") or ())


def lag(config: Config, group: str, logical: str) -> int:
    """Records of the topic the group has not committed yet (0 while it cannot be told)."""
    name = topic_name(config.topic_prefix, logical)
    consumer = KafkaConsumer(bootstrap_servers=_servers(config))
    admin = KafkaAdminClient(bootstrap_servers=_servers(config))
    try:
        tps = [TopicPartition(name, p) for p in consumer.partitions_for_topic(name) or ()]
        ends = consumer.end_offsets(tps)
        group_id = f"{config.topic_prefix}{group}"
        done = admin.list_group_offsets({group_id: None}).get(group_id, {})
        return sum(ends[tp] - (done[tp].offset if tp in done else 0) for tp in tps)
    except KafkaError:
        return 0
    finally:
        consumer.close()
        admin.close()
