"""Fixtures of the security tests: the demo grid and rules, an app with its own media directory,
accounts per role, cases made the way the router makes them, and a login role that is a
member of `gridflow_app` (the role processes connect as in a deployment)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

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
def security_app(config, tmp_path_factory, demo):
    from services.app import create_app

    media = str(tmp_path_factory.mktemp("media"))
    app = create_app(config.with_(media_dir=media, rate_limit_per_minute=100_000))
    app.config["TESTING"] = True
    yield app
    gf = app.extensions["gridflow"]
    gf.locator.close()
    gf.engine.dispose()


@pytest.fixture()
def api(security_app):
    return security_app.test_client()


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


@pytest.fixture(scope="session")
def app_role_url(database_url):
    """The URL of this run's database for a fresh login role that is a member of
    `gridflow_app` (not the tables' owner, not a superuser). The role is dropped afterwards."""
    role = f"gridflow_app_t_{uuid.uuid4().hex[:10]}"
    owner = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN IN ROLE gridflow_app'))
    try:
        yield make_url(database_url).set(username=role).render_as_string(hide_password=False)
    finally:
        with owner.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
                {"r": role},
            )
            conn.execute(text(f'DROP ROLE "{role}"'))
        owner.dispose()
