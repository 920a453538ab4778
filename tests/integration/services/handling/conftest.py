"""Fixtures of the handling tests: an app with its own media directory over the demo world
(`demo`, `login` and `cases` come from tests/integration/conftest.py)."""

from __future__ import annotations

import pytest

from tests.integration.apps import media_app


@pytest.fixture(scope="session")
def handling_app(config, tmp_path_factory, demo):
    yield from media_app(config, tmp_path_factory, rate_limit_per_minute=10_000)


@pytest.fixture()
def api(handling_app):
    return handling_app.test_client()
