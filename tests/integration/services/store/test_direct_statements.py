"""Statements sent with psycopg directly on the engine's pool (services/store/direct.py)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from services.store import direct
from services.store.db import make_engine, retry_on_disconnect
from tests.processes import free_port


@pytest.fixture()
def small_engine(database_url):
    engine = make_engine(database_url, pool_size=1, pre_ping=False)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS direct_probe (id uuid PRIMARY KEY)"))
    yield engine
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE direct_probe"))
    engine.dispose()


def test_a_statement_is_committed_when_it_returns(small_engine, engine):
    probe = uuid.uuid4()
    row = direct.fetch_one(
        small_engine, "INSERT INTO direct_probe (id) VALUES (%(id)s) RETURNING id", {"id": probe}
    )
    assert row == (probe,)
    with engine.connect() as other:
        seen = text("SELECT count(*) FROM direct_probe WHERE id = :id")
        assert other.execute(seen, {"id": probe}).scalar_one() == 1


def test_the_pooled_connection_goes_back_ready_for_transactions(small_engine):
    direct.fetch_one(small_engine, "SELECT 1", {})
    probe = uuid.uuid4()
    # The pool holds one connection: the same one, back in SQLAlchemy's transactional mode.
    with small_engine.connect() as conn:
        conn.execute(text("INSERT INTO direct_probe (id) VALUES (:id)"), {"id": probe})
        conn.rollback()
        assert (
            conn.execute(
                text("SELECT count(*) FROM direct_probe WHERE id = :id"), {"id": probe}
            ).scalar_one()
            == 0
        )


def test_errors_are_sqlalchemy_errors_with_the_original(small_engine):
    probe = uuid.uuid4()
    insert = "INSERT INTO direct_probe (id) VALUES (%(id)s) RETURNING id"
    direct.fetch_one(small_engine, insert, {"id": probe})
    with pytest.raises(IntegrityError) as caught:
        direct.fetch_one(small_engine, insert, {"id": probe})
    assert caught.value.orig.diag.constraint_name == "direct_probe_pkey"
    assert direct.fetch_one(small_engine, "SELECT 2", {}) == (2,)  # the connection still works


def test_a_dropped_connection_is_replaced_and_the_statement_tried_again(small_engine, owner_engine):
    # small_engine is the owner's (it made the probe table): only the owner ends its sessions.
    pid = direct.fetch_one(small_engine, "SELECT pg_backend_pid()", {})[0]
    with owner_engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    with pytest.raises(DBAPIError) as caught:
        direct.fetch_one(small_engine, "SELECT 1", {})
    assert caught.value.connection_invalidated
    pid = direct.fetch_one(small_engine, "SELECT pg_backend_pid()", {})[0]
    with owner_engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    assert retry_on_disconnect(lambda: direct.fetch_one(small_engine, "SELECT 3", {})) == (3,)


def test_a_database_that_cannot_be_reached_is_an_operational_error(database_url):
    unreachable = make_url(database_url).set(port=free_port())
    engine = make_engine(unreachable.render_as_string(hide_password=False), pre_ping=False)
    try:
        with pytest.raises(OperationalError) as caught:
            direct.fetch_one(engine, "SELECT 1", {})
        assert "Connection refused" in str(caught.value.orig)
    finally:
        engine.dispose()
