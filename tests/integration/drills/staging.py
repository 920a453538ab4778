"""The one way a drill's stage is built and taken down: by `scripts/drill`, by the suite's
drill modules and by the page tests that need a replica. A stage with its processes started
is `staged(...)`; `with_cases` files a few seconds of reports and waits until every one is
dispatched, so the KPI pages, searches and exports have cases to show."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.integration.drills.drills import Drills, Scale
from tests.integration.drills.figures import settle
from tests.integration.drills.stage import Stage


@contextmanager
def staged(
    name: str, kind: type[Drills], scale: Scale, log_dir: Path, *,
    log: Callable[[str], None] = lambda line: None, **stage: bool,
) -> Iterator[Drills]:  # fmt: skip
    """A `kind` of drills over a new Stage(name, **stage) (private_db, private_kafka, cluster,
    replica) with its processes running; everything removed on exit."""
    options = {"private_db": True, "private_kafka": True, **stage}
    built = Stage(name, log_dir=log_dir, **options)
    try:
        built.open()
        runner = kind(built, scale, log=log)
        runner.start_processes()
        yield runner
    finally:
        built.close()


def with_cases(runner: Drills, seconds: float = 3.0, settle_s: float = 60.0) -> list[str]:
    """`seconds` of reports through the API, each dispatched: their report ids."""
    fleet = runner._fleet()
    time.sleep(seconds)
    stats = fleet.stop(settle_s)
    final, _ = settle(runner.stage.engine, list(stats.accepted), settle_s)
    assert final.accepted > 0 and final.lost == 0, final
    return list(stats.accepted)
