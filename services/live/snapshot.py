"""The snapshot a client gets on connect: its scope's open cases and cell load in columns (the
format and why it is so: services.store.live.snapshot), and for pages the KPIs, departments and
recent events.

`message` builds it. A grid worker's phone shows the open cases of its cells and nothing else
of it, so a grid worker's snapshot holds only those (`last_event_id`, `principal`, `cases`),
read with the other phones connecting meanwhile in one statement (`workers_cases`, batched by
services.live.coalesce): that is what lets a district's thousands of phones come back at once
after a restart.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Engine

from services.auth.principal import DEPARTMENT_STAFF, GRID_WORKER, Principal
from services.live import kpis, messages, queries
from services.live.queries import scope_of
from services.store.live import snapshot as store

# run(function, *args) → a Future: where the snapshot's independent reads run side by side.
Run = Callable[..., Future]


def view_of(principal: Principal) -> str:
    """Which columns of each case `principal`'s page draws (a key of COLUMNS)."""
    if principal.role == DEPARTMENT_STAFF:
        return "console"
    return "field" if principal.role == GRID_WORKER else "map"


def open_cases(engine: Engine, principal: Principal, limit: int = 2000) -> orjson.Fragment:
    """Open cases in `principal`'s scope, most recent first (closed ones leave the map), in
    columns (see the module's docstring); JSON encoded by PostgreSQL, sent as it is."""
    return orjson.Fragment(store.open_cases(engine, view_of(principal), scope_of(principal), limit))


def cell_load(engine: Engine, principal: Principal) -> orjson.Fragment:
    """Open and overdue case counts of each cell in scope with an open case, in columns
    {cell_code, open, overdue}; JSON encoded by PostgreSQL."""
    return orjson.Fragment(store.cell_load(engine, scope_of(principal)))


def message(
    engine: Engine, run: Run, principal: Principal, workers: list[dict[str, Any]], *, first: bool
) -> dict[str, Any]:
    """The snapshot a client of `principal` gets on connect (`first`: its first connect, which
    also carries the scope's bounds and its recent events), its reads run through `run`."""
    if principal.role == GRID_WORKER:
        last_id, cases = workers_cases(engine, [principal])[principal]
        return worker_message(principal, last_id, cases)
    # The cursor first: whatever the reads below miss comes with the replay after it.
    last_id = queries.last_event_id(engine)
    reads, build = kpis.summary_reads(engine, principal)
    parts = {name: run(read) for name, read in reads.items()}
    cases = run(open_cases, engine, principal)
    cells = run(cell_load, engine, principal)
    name = run(queries.scope_name, engine, principal)
    bounds = run(queries.scope_bounds, engine, principal) if first else None
    events = run(messages.recent_messages, engine, principal) if first else None
    data = build({name: part.result() for name, part in parts.items()})
    data.update(
        server_time=datetime.now(UTC).isoformat(),
        last_event_id=last_id,
        principal=_who(principal, name.result()),
        cells=cells.result(),
        bounds=bounds.result() if bounds is not None else None,
        cases=cases.result(),
        events=events.result() if events is not None else [],
        workers=workers,
    )
    return data


def worker_message(principal: Principal, last_id: int, cases: orjson.Fragment) -> dict[str, Any]:
    """The snapshot a grid worker's phone gets: its cursor and the open cases of its cells."""
    return {"last_event_id": last_id, "principal": _who(principal, None), "cases": cases}


def _who(principal: Principal, scope_name: str | None) -> dict[str, Any]:
    return {
        "username": principal.username,
        "role": principal.role,
        "jurisdiction_code": principal.jurisdiction_code,
        "department_code": principal.department_code,
        "scope_name": scope_name,
    }


def workers_cases(
    engine: Engine, principals: list[Principal]
) -> dict[Principal, tuple[int, orjson.Fragment]]:
    """The cursor and the open cases of each grid worker of `principals`, in one statement
    (read together by services.live.coalesce when phones connect at once)."""
    found = store.cursor_and_open_cases_of_cells(engine, [sorted(p.cell_codes) for p in principals])
    return {
        p: (last, orjson.Fragment(cases))
        for p, (last, cases) in zip(principals, found, strict=True)
    }


class SharedSnapshots:
    """Snapshots of the scopes many clients share (a department's consoles, a street's pages):
    a client that connects while a snapshot of its scope is being built waits for that one
    instead of building another. In a reconnect storm, when builds queue behind the cap, the
    consoles of one department share a handful of builds instead of making one each; a client
    connecting alone gets a snapshot built for it. A snapshot is consistent with its own
    `last_event_id`, from which each client's replay starts. Grid workers' are their own."""

    def __init__(self) -> None:
        self._building: dict[tuple, _Build] = {}
        self._lock = threading.Lock()

    def get(self, principal: Principal, first: bool, build: Callable[[], dict[str, Any]]):
        """The snapshot of `principal`'s scope being built now, or `build()`."""
        if principal.role == GRID_WORKER:
            return build()
        key = (principal.role, principal.jurisdiction_code, principal.department_code, first)
        with self._lock:
            running = self._building.get(key)
            if running is None:
                running = self._building[key] = _Build()
                mine = True
            else:
                mine = False
        if not mine:
            return running.result()
        try:
            running.message = build()
        except BaseException as exc:
            running.error = exc
            raise
        finally:
            with self._lock:
                del self._building[key]
            running.done.set()
        return running.message


class _Build:
    """One snapshot being built, for everyone waiting on it."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.message: dict[str, Any] | None = None
        self.error: BaseException | None = None

    def result(self) -> dict[str, Any]:
        self.done.wait()
        if self.error is not None or self.message is None:
            raise RuntimeError("the shared snapshot could not be built") from self.error
        return self.message
