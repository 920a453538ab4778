"""The reliability drills at small scale (`scripts/drill` runs them at full size): under a
steady load of reports through the API, the broker, the router, the relay, PostgreSQL and the
Socket.IO server are each broken and brought back — nothing accepted is lost or doubled — and a
short soak shows no error and no growing process."""

from __future__ import annotations

import json

import pytest

from tests.integration.drills.drills import NAMES, SMALL, Drills, passed
from tests.integration.drills.stage import Stage
from tests.processes import ARTIFACTS


@pytest.fixture(scope="module")
def drills(stack_urls):
    stage = Stage("drill", private_db=True, private_kafka=True, log_dir=ARTIFACTS / "drills")
    try:
        stage.open()
        runner = Drills(stage, SMALL, log=lambda line: None)
        runner.start_processes()
        yield runner
    finally:
        stage.close()


@pytest.mark.parametrize("name", list(NAMES))
def test_drill(drills, name):
    figures = NAMES[name](drills)
    assert passed(name, figures), json.dumps(figures)
