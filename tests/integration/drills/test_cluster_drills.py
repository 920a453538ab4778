"""Beyond one node, at small scale (`scripts/drill` runs them at full size): on a stage with a
three-broker Kafka cluster and a PostgreSQL streaming replica, the KPI page is served by the
replica and by the primary while the replica is down; a broker killed, a router group that
loses one and gains one, the replica stopped and the reports topic's partitions grown — all
under load, nothing lost or doubled."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.integration.drills.cluster_drills import (
    CLUSTER_NAMES,
    MARK,
    ClusterDrills,
    cluster_passed,
)
from tests.integration.drills.drills import SMALL
from tests.integration.drills.figures import settle
from tests.integration.drills.stage import Stage
from tests.processes import ARTIFACTS


@pytest.fixture(scope="module")
def drills(stack_urls):
    stage = Stage("cluster-drill", private_db=True, private_kafka=True, cluster=True,
                  replica=True, log_dir=ARTIFACTS / "cluster-drills")  # fmt: skip
    try:
        stage.open()
        runner = ClusterDrills(stage, SMALL, log=lambda line: None)
        runner.start_processes()
        yield runner
    finally:
        stage.close()


@pytest.fixture(scope="module")
def with_cases(drills):
    """A few seconds of reports, every one dispatched: the KPI page has departments to show."""
    fleet = drills._fleet()
    time.sleep(3.0)
    stats = fleet.stop(60)
    final, _ = settle(drills.stage.engine, list(stats.accepted), 60)
    assert final.accepted > 0 and final.lost == 0
    return drills


def replica_serving(drills) -> float:
    body = requests.get(f"{drills.stage.api().url}/metrics", timeout=10).text
    line = next(x for x in body.splitlines() if x.startswith("gridflow_replica_serving "))
    return float(line.split()[1])


def wait_for(predicate, timeout_s: float = 30.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"not within {timeout_s} s")


def test_the_kpi_page_is_served_by_the_replica_and_by_the_primary_while_it_is_down(with_cases):
    drills = with_cases
    replica = drills.stage.replica
    name = drills.mark_replica()
    try:
        # The marker is on the replica alone: the page shows it, so the replica served it.
        status, names = wait_for(lambda: (r := drills.kpi_page())[0] == 200 and MARK in r[1] and r)
        assert name not in names
        assert replica_serving(drills) == 1.0
        replica.stop("fast")
        # The replica is down: the page still answers, from the primary (the real name).
        status, names = wait_for(lambda: (r := drills.kpi_page()) and name in r[1] and r, 10)
        assert status == 200 and MARK not in names
        assert replica_serving(drills) == 0.0
        replica.start()
        # Back up, it serves again (a fresh marker: the restart resumed its replay).
        wait_for(lambda: replica_serving(drills) == 1.0, 30)
        drills.mark_replica()
        status, names = wait_for(lambda: (r := drills.kpi_page()) and MARK in r[1] and r, 10)
        assert name not in names
    finally:
        drills.unmark_replica()


@pytest.mark.parametrize("name", list(CLUSTER_NAMES))
def test_cluster_drill(drills, name):
    figures = CLUSTER_NAMES[name](drills)
    assert cluster_passed(name, figures), json.dumps(figures, ensure_ascii=False)
