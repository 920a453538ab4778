"""A private three-node Kafka cluster for tests and drills that take a broker down.

The nodes are combined broker+controller KRaft nodes from `infra/kafka/cluster.properties.in`
(the template `./scripts/stack up --brokers 3` uses): replication factor 3 and
min.insync.replicas=2, on free ports with their own data directories under `workdir`.
"""

from __future__ import annotations

from pathlib import Path

from tests.integration.streams.private_broker import (
    ROOT,
    PrivateBroker,
    free_port,
    new_cluster_id,
)

CLUSTER_TEMPLATE = ROOT / "infra" / "kafka" / "cluster.properties.in"


class PrivateCluster:
    """Three KRaft nodes; each can be killed and started again on its own."""

    def __init__(self, workdir: Path, size: int = 3, heap_mb: int = 320) -> None:
        ports = [(free_port(), free_port()) for _ in range(size)]
        voters = ",".join(f"{i + 1}@127.0.0.1:{c}" for i, (_, c) in enumerate(ports))
        cluster_id = new_cluster_id()
        self.nodes = [
            PrivateBroker(
                workdir / f"node{i + 1}",
                node_id=i + 1,
                ports=ports[i],
                voters=voters,
                cluster_id=cluster_id,
                template=CLUSTER_TEMPLATE,
                heap_mb=heap_mb,
            )  # fmt: skip
            for i in range(size)
        ]

    @property
    def bootstrap(self) -> str:
        return ",".join(node.bootstrap for node in self.nodes)

    def start(self, timeout_s: float = 120.0) -> None:
        """Starts every node (together: the controllers need a quorum) and waits for each."""
        for node in self.nodes:
            node.launch()
        for node in self.nodes:
            node.wait_started(timeout_s)

    def stop(self) -> None:
        """Stops every node, told all at once: stopped one by one, the last ones lose their
        controller quorum and wait for it until they are killed."""
        for node in self.nodes:
            if node.running:
                assert node.process is not None
                node.process.terminate()
        for node in self.nodes:
            node.stop(timeout_s=30)
