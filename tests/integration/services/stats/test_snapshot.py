"""Two reads side by side see one snapshot: a commit between them is seen by neither."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import text

from services.store.snapshots import in_one_snapshot


@pytest.fixture
def note_table(owner_engine):
    name = f"snap_{uuid.uuid4().hex[:8]}"
    with owner_engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE {name} (n int)"))
        conn.execute(text(f"INSERT INTO {name} VALUES (1)"))
    yield name
    with owner_engine.begin() as conn:
        conn.execute(text(f"DROP TABLE {name}"))


def test_the_second_read_does_not_see_a_commit_made_after_the_first_began(engine, note_table):
    committed = threading.Event()

    def first(conn):
        before = conn.execute(text(f"SELECT count(*) FROM {note_table}")).scalar_one()
        with engine.begin() as other:
            other.execute(text(f"INSERT INTO {note_table} VALUES (2)"))
        committed.set()
        return before

    def second(conn):
        assert committed.wait(10)
        return conn.execute(text(f"SELECT count(*) FROM {note_table}")).scalar_one()

    assert in_one_snapshot(engine, first, second) == (1, 1)
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM {note_table}")).scalar_one() == 2


def test_an_error_in_either_read_is_raised_and_frees_both_connections(engine, note_table):
    def fails(conn):
        conn.execute(text("SELECT no_such_column FROM " + note_table))

    def counts(conn):
        return conn.execute(text(f"SELECT count(*) FROM {note_table}")).scalar_one()

    for first, second in ((fails, counts), (counts, fails)):
        with pytest.raises(Exception, match="no_such_column"):
            in_one_snapshot(engine, first, second)
    assert engine.pool.checkedout() == 0
