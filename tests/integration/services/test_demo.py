"""`gridflow demo load` on an empty database: the grid, departments, rules and accounts, once."""

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.demo import load_demo
from services.store.db import make_engine
from services.store.migrate import upgrade


@pytest.fixture()
def empty_database(config):
    base = make_url(config.database_url)
    name = f"gridflow_demo_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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
