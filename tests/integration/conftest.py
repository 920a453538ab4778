"""Fixtures shared by the integration tests: the demo world, and signed-in accounts and cases
through whichever `api` client the test's folder defines."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def demo(engine):
    """The demo grid, departments and routing rules of district 330211."""
    from geo.demo import load_demo
    from services.routing.rulefile import load_demo_rules

    load_demo(engine)
    return load_demo_rules(engine, actor="test")


@pytest.fixture()
def login(api, engine):
    """login(role, **scope) → (user id, headers) of a fresh account."""
    from tests.integration.services.accounts import signed_in

    def _login(role: str, **scope):
        return signed_in(api, engine, role, **scope)

    return _login


@pytest.fixture()
def cases(api, engine, login):
    """Makes cases: a worker of the cell files the report, the router's processor registers
    and dispatches it."""
    from tests.integration.services.handling.loop import CaseMaker

    return CaseMaker(api, engine, login)
