"""Fixtures of the security tests: the demo grid and rules, an app with its own media directory,
accounts per role, cases made the way the router makes them, and a login role that is a
member of `gridflow_app` (the role processes connect as in a deployment)."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.apps import media_app


@pytest.fixture(scope="session")
def security_app(config, tmp_path_factory, demo):
    yield from media_app(config, tmp_path_factory, rate_limit_per_minute=100_000)


@pytest.fixture()
def api(security_app):
    return security_app.test_client()


@pytest.fixture(scope="module")
def world(security_app, engine, demo):
    """Accounts of every role and scope, and objects made for them (tests' world.py)."""
    from tests.integration.security.world import World
    from tests.integration.services.accounts import signed_in

    api = security_app.test_client()
    return World(api, engine, lambda role, **scope: signed_in(api, engine, role, **scope))


@pytest.fixture(scope="session")
def app_role_url(database_url):
    """The URL of this run's database for a fresh login role that is a member of
    `gridflow_app` (not the tables' owner, not a superuser). The role is dropped afterwards."""
    from tests.databases import create_app_role, drop_role

    role = f"gridflow_app_t_{uuid.uuid4().hex[:10]}"
    yield create_app_role(database_url, role)
    drop_role(database_url, role)
