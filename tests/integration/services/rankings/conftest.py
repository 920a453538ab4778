"""Fixtures of the rankings tests: the session's app, and the hand-worked fixture's cases."""

from __future__ import annotations

import pytest

from tests.integration.services.rankings.fixture import write_fixture


@pytest.fixture()
def api(app):
    return app.test_client()


@pytest.fixture(scope="session")
def ranked(engine):
    write_fixture(engine)
