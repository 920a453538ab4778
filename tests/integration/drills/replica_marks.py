"""Markers only the replica shows: how a test tells which server a page or an export read.

A value (a department's name, a worker's account name) is changed on the primary, the replica
replays the change, its replay is paused, and the value is restored on the primary: until
replay resumes, the replica alone shows the marker. Replay resumes with `unmark` or when the replica
restarts (which replays the restore).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import make_url

MARK = "副本标记"  # what the replica alone shows

# The department the demo routes most to, among those that hold cases; a grid worker.
HELD_CASES = text(
    "SELECT d.code FROM department d JOIN case_file c ON c.department_code = d.code "
    "GROUP BY d.code ORDER BY count(*) DESC, d.code LIMIT 1"
)
A_WORKER = text(
    "SELECT CAST(id AS text) FROM app_user WHERE role = 'grid_worker' ORDER BY id LIMIT 1"
)


@dataclass(frozen=True)
class Marked:
    """One value the replica shows as MARK: the row and the primary's real value."""

    table: str
    column: str
    key: str
    real: str


def _set(conn, table: str, column: str, key: str, value: str) -> None:
    conn.execute(text(f"UPDATE {table} SET {column} = :v WHERE CAST({_key(table)} AS text) = :k"),
                 {"v": value, "k": key})  # fmt: skip


def _key(table: str) -> str:
    return "code" if table == "department" else "id"


def mark(stage, *values: tuple[str, str, str], timeout_s: float = 60.0) -> list[Marked]:
    """Makes the replica alone show MARK in each (table, column, key) of `values` (table:
    department, keyed by code, or app_user, by id); the real values, in that order."""
    replica = stage.replica
    assert replica is not None, "the stage has no replica"
    marked = []
    with stage.engine.begin() as conn:
        for table, column, key in values:
            read = f"SELECT {column} FROM {table} WHERE CAST({_key(table)} AS text) = :k"
            real = conn.execute(text(read), {"k": key}).scalar_one()
            marked.append(Marked(table, column, key, real))
            _set(conn, table, column, key, MARK)
    database = make_url(stage.config.database_url).database or "gridflow"
    deadline = time.monotonic() + timeout_s
    for m in marked:
        query = f"SELECT {m.column} FROM {m.table} WHERE CAST({_key(m.table)} AS text) = '{m.key}'"
        while replica.sql(query, database) != MARK:
            if time.monotonic() > deadline:
                raise AssertionError("the replica did not replay the marker")
            time.sleep(0.1)
    replica.sql("SELECT pg_wal_replay_pause()")
    with stage.engine.begin() as conn:
        for m in marked:
            _set(conn, m.table, m.column, m.key, m.real)
    return marked


def unmark(stage) -> None:
    """Resumes the replica's replay: it shows the primary's values again."""
    assert stage.replica is not None
    stage.replica.sql("SELECT pg_wal_replay_resume()")


def busiest_department(stage) -> str:
    with stage.engine.connect() as conn:
        return conn.execute(HELD_CASES).scalar_one()


def a_worker(stage) -> str:
    with stage.engine.connect() as conn:
        return conn.execute(A_WORKER).scalar_one()
