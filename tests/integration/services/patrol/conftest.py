"""Fixtures of the patrol API tests: an app over the demo world, and walks folded by the
patrol processor's aggregator (the one `gridflow patrol` applies) on the real database."""

from __future__ import annotations

import pytest

from tests.integration.apps import media_app


@pytest.fixture(scope="session")
def patrol_app(config, tmp_path_factory, demo):
    yield from media_app(config, tmp_path_factory, rate_limit_per_minute=10_000)


@pytest.fixture()
def api(patrol_app):
    return patrol_app.test_client()


@pytest.fixture(scope="session")
def fold(engine, config):
    """fold(worker_id, pings) applies the pings as the processor would."""
    from zoneinfo import ZoneInfo

    from services.patrol.aggregate import Aggregator, points_of

    aggregator = Aggregator(engine, config)

    def _fold(worker_id: int, pings: list[dict]):
        rows = points_of({"worker_id": worker_id, "pings": pings}, ZoneInfo(config.timezone))
        return aggregator.apply(rows)

    return _fold
