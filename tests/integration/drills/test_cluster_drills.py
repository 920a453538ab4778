"""Beyond one node, at small scale (`scripts/drill` runs them at full size): on a stage with a
three-broker Kafka cluster and a PostgreSQL streaming replica, a broker killed, a router group
that loses one and gains one, the replica stopped, the reports topic's partitions grown, and
groups of notifiers and of patrol processors that lose one member and gain one — all under
load, nothing lost or doubled. (The KPI page served by the replica, and by the primary while
it is down, is shown in Chromium: tests/e2e/test_replica_pages.py.)"""

from __future__ import annotations

import json

import pytest

from tests.integration.drills.drills import SMALL
from tests.integration.drills.group_drills import STAGE_NAMES, GroupDrills, group_passed
from tests.integration.drills.staging import staged
from tests.processes import ARTIFACTS


@pytest.fixture(scope="module")
def drills(stack_urls):
    with staged("cluster-drill", GroupDrills, SMALL, ARTIFACTS / "cluster-drills", cluster=True,
                replica=True) as runner:  # fmt: skip
        yield runner


@pytest.mark.parametrize("name", list(STAGE_NAMES))
def test_cluster_drill(drills, name):
    figures = STAGE_NAMES[name](drills)
    assert group_passed(name, figures), json.dumps(figures, ensure_ascii=False, default=str)
