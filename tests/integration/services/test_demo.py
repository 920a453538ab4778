"""`gridflow demo load` on an empty database: the grid, departments, rules and accounts, once."""

import uuid

import pytest
from sqlalchemy import text

from services.demo import load_demo
from services.store.db import make_engine


@pytest.fixture()
def empty_database(config):
    """A fresh database migrated by the owner, reached as the application role."""
    from tests.databases import fresh_database

    with fresh_database(f"gridflow_demo_{uuid.uuid4().hex[:8]}", config.database_url) as url:
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def _counts(engine):
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT (SELECT count(*) FROM grid_cell) AS cells,"
                " (SELECT count(*) FROM jurisdiction WHERE level = 'street') AS streets,"
                " (SELECT count(*) FROM department) AS departments,"
                " (SELECT count(*) FROM ruleset_version) AS rulesets,"
                " (SELECT count(*) FROM category c WHERE NOT EXISTS (SELECT 1 FROM routing_rule r"
                "   WHERE r.category_code = c.code AND r.active)) AS categories_without_rule,"
                " (SELECT array_agg(username ORDER BY username) FROM app_user) AS users"
            )
        ).one()


def test_demo_load_fills_an_empty_database_once(empty_database, config):
    engine = empty_database
    dev = config.with_(env="development")
    steps = load_demo(engine, dev)
    assert steps[0] == "demo grid loaded"
    first = _counts(engine)
    assert first.cells >= 2000
    assert first.streets >= 2
    assert first.departments >= 10
    assert first.categories_without_rule == 0
    assert first.users == ["demo-admin", "demo-department", "demo-operator", "demo-worker"]

    again = load_demo(engine, dev)
    assert again[:2] == ["demo grid already loaded", "routing rules already loaded"]
    assert _counts(engine) == first


def test_demo_accounts_are_refused_outside_development(empty_database, config):
    from services.auth.demo import DemoRefused

    with pytest.raises(DemoRefused, match="development"):
        load_demo(empty_database, config.with_(env="production"))
