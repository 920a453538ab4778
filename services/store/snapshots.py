"""Two reads side by side on two pooled connections that see the same committed data.

A report's reads take ~100 ms of PostgreSQL each; one after the other on one connection they
cost their sum. Run side by side, each in a REPEATABLE READ transaction of its own, the second
importing the snapshot the first exported (`pg_export_snapshot`), the report is still what one
reader saw at one instant.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TypeVar

from sqlalchemy import Connection, Engine, text

A = TypeVar("A")
B = TypeVar("B")
SNAPSHOT_ID = re.compile(r"^[0-9A-F]+-[0-9A-F]+(-[0-9]+)?$")
IMPORT_WAIT_S = 30.0
_leaders = ThreadPoolExecutor(4, thread_name_prefix="gridflow-stats")


def in_one_snapshot(
    engine: Engine, first: Callable[[Connection], A], second: Callable[[Connection], B]
) -> tuple[A, B]:
    """`first(conn)` and `second(conn)` run at the same time on two connections of `engine`,
    both on one snapshot; their results, or the first error either raised. Called per report
    request; needs two connections of the pool for the time of the slower read."""
    exported: Future[str] = Future()
    imported = threading.Event()

    def lead() -> A:
        try:
            with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
                exported.set_result(conn.execute(text("SELECT pg_export_snapshot()")).scalar_one())
                # The snapshot can be imported only while the exporting transaction lives: the
                # first read starts once the second holds it, so an early error ends nothing.
                imported.wait(IMPORT_WAIT_S)
                return first(conn)
        except BaseException as exc:
            if not exported.done():
                exported.set_exception(exc)
            raise

    led = _leaders.submit(lead)
    try:
        snapshot = exported.result()
        if not SNAPSHOT_ID.match(snapshot):
            raise ValueError(f"unexpected snapshot id {snapshot!r}")
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            conn.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))
            imported.set()
            result = second(conn)
    finally:
        imported.set()
        wait([led])  # its connection is back in the pool before this returns or raises
    return led.result(), result
