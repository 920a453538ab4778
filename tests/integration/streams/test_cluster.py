"""The three-broker cluster (`./scripts/stack up --brokers 3`'s nodes, here on a private
cluster): gridflow's topics are replicated three times with min.insync.replicas=2, and with one
broker killed the idempotent acks=all producer keeps writing; the cluster reports the broker
fenced and the partitions under-replicated until it is back, then none."""

from __future__ import annotations

import pytest
from kafka.admin import ConfigResource

from services.envelopes import ALL_TOPICS, REPORTS, topic_name
from streams.kafka import make_admin, make_producer
from streams.topics import ensure_topics, replication
from tests.integration.streams.private_cluster import PrivateCluster
from tests.integration.streams.stream_helpers import read_topic, wait_until


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    cluster = PrivateCluster(tmp_path_factory.mktemp("kafka-cluster"))
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def cluster_config(cluster, config):
    cfg = config.with_(kafka_bootstrap_servers=cluster.bootstrap, topic_replication_factor=3)
    ensure_topics(cfg)
    return cfg


def test_topics_are_replicated_three_times_and_need_two_in_sync(cluster_config):
    names = [topic_name(cluster_config.topic_prefix, t) for t in ALL_TOPICS]
    admin = make_admin(cluster_config)
    try:
        described = admin.describe_topics(names)
        configs = admin.describe_configs([ConfigResource("TOPIC", n) for n in names])
    finally:
        admin.close()
    assert sorted(t["name"] for t in described) == sorted(names)
    for topic in described:
        assert len(topic["partitions"]) == cluster_config.topic_partitions
        for part in topic["partitions"]:
            assert sorted(part["replica_nodes"]) == [1, 2, 3]
    for name in names:
        assert configs["topic"][name]["min.insync.replicas"]["value"] == "2"
    state = replication(cluster_config)
    assert (state.brokers, state.fenced, state.under_replicated) == ((1, 2, 3), (), 0)


def test_one_broker_down_writes_go_on_and_replication_comes_back(cluster, cluster_config):
    producer = make_producer(cluster_config, client_id="cluster-test", timeout_s=30)
    topic = topic_name(cluster_config.topic_prefix, REPORTS)
    try:
        for i in range(20):
            producer.send(topic, key=f"cell-{i % 5}", value={"n": i})
        producer.flush()
        victim = cluster.nodes[1]
        victim.kill()
        state = wait_until(lambda: (s := replication(cluster_config)).fenced and s, 60)
        assert state.fenced == (2,) and state.leaderless == 0
        assert state.under_replicated > 0
        # acks=all with two of three in sync: every write is acknowledged while it is down.
        for i in range(20, 60):
            producer.send(topic, key=f"cell-{i % 5}", value={"n": i}).get(timeout=30)
        victim.start()
        wait_until(lambda: replication(cluster_config).under_replicated == 0, 90, 1.0)
        for i in range(60, 80):
            producer.send(topic, key=f"cell-{i % 5}", value={"n": i})
        producer.flush()
    finally:
        producer.close()
    assert replication(cluster_config).brokers == (1, 2, 3)
    numbers = [value["n"] for _, value, _, _ in read_topic(cluster_config, REPORTS)]
    assert sorted(numbers) == list(range(80))
