"""Fixtures of the handling tests: the demo grid and rules, an app with its own media
directory, accounts per role, and cases made the way the router makes them."""

from __future__ import annotations

import pytest

from tests.integration.services.accounts import signed_in
from tests.integration.services.handling.loop import CaseMaker


@pytest.fixture(scope="session")
def demo(engine):
    """The demo grid, departments and routing rules of district 330211."""
    from geo.demo import load_demo
    from services.dispatch.rulefile import load_demo_rules

    load_demo(engine)
    load_demo_rules(engine, actor="test")


@pytest.fixture(scope="session")
def handling_app(config, tmp_path_factory, demo):
    from services.app import create_app

    app = create_app(
        config.with_(media_dir=str(tmp_path_factory.mktemp("media")), rate_limit_per_minute=10_000)
    )
    app.config["TESTING"] = True
    yield app
    gf = app.extensions["gridflow"]
    gf.locator.close()
    gf.engine.dispose()


@pytest.fixture()
def api(handling_app):
    return handling_app.test_client()


@pytest.fixture()
def login(api, engine):
    """login(role, **scope) → (user id, headers) of a fresh account."""

    def _login(role: str, **scope):
        return signed_in(api, engine, role, **scope)

    return _login


@pytest.fixture()
def cases(api, engine, login):
    """Makes cases: a worker of the cell files the report, the router's processor registers
    and dispatches it."""
    return CaseMaker(api, engine, login)
