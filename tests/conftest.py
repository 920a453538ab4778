"""Fixtures shared by every test layer.

Integration and e2e tests run against the real stack named by GRIDFLOW_DATABASE_URL and
GRIDFLOW_KAFKA_BOOTSTRAP_SERVERS (./scripts/test exports them from ./scripts/stack). Each test
run gets its own database and its own Kafka topic prefix, so two runs never see each other.
As in a deployment, the owner (the stack's URL) creates and migrates the database and every
gridflow process of the run connects as a login role in `gridflow_app` (`config`); fixtures
that change the schema itself use `owner_engine`.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.config import Config

RUN_ID = uuid.uuid4().hex[:10]


@pytest.fixture(scope="session")
def stack_urls() -> tuple[str, str]:
    db = os.environ.get("GRIDFLOW_DATABASE_URL")
    kafka = os.environ.get("GRIDFLOW_KAFKA_BOOTSTRAP_SERVERS")
    if not db or not kafka:
        pytest.fail(
            "integration tests need the stack: run them through ./scripts/test "
            "(or export the lines of ./scripts/stack env)"
        )
    return db, kafka


@pytest.fixture(scope="session")
def database_url(stack_urls) -> str:
    """A fresh database for this test run, migrated to head, dropped afterwards."""
    from services.store.migrate import upgrade

    base = make_url(stack_urls[0])
    name = f"gridflow_t_{RUN_ID}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def app_database_url(database_url) -> str:
    """This run's database for a login role of its own in `gridflow_app` (not the owner, not
    a superuser), the role every gridflow process of the run connects as; dropped after."""
    from tests.databases import create_app_role, drop_role

    role = f"gridflow_t_{RUN_ID}"
    url = create_app_role(database_url, role)
    yield url
    drop_role(database_url, role)


@pytest.fixture(scope="session")
def owner_engine(database_url):
    """An engine of the tables' owner, for fixtures that change the schema itself."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def config(app_database_url, stack_urls) -> Config:
    """The Config every integration test uses: this run's database (as the application role)
    and topic prefix."""
    return Config(
        database_url=app_database_url,
        kafka_bootstrap_servers=stack_urls[1],
        topic_prefix=f"t{RUN_ID}.",
        topic_partitions=3,
        env="test",
        secret_key="test-secret-" + RUN_ID,
        # Session-wide accounts sign in once; a worker's run outlasts the 15-minute default.
        access_token_ttl_s=3600,
    ).checked()


@pytest.fixture(scope="session")
def app(config):
    from services.app import create_app

    app = create_app(config)
    app.config["TESTING"] = True
    yield app
    app.extensions["gridflow"].engine.dispose()


@pytest.fixture()
def make_app():
    """Builds extra apps (with changed config) and disposes their engines after the test."""
    from services.app import create_app

    made = []

    def _make(cfg):
        made.append(create_app(cfg))
        return made[-1]

    yield _make
    for extra in made:
        extra.extensions["gridflow"].engine.dispose()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def engine(app):
    return app.extensions["gridflow"].engine
