"""The unit of work every command handler takes: one database transaction.

A handler loads what it needs through `uow.conn` (with the store functions of
services.store.cases and services.store.departments), asks the pure domain what happens, and
writes the outcome; `record` appends the domain events to the case history *and* to the
outbox (topic CASE_EVENTS, keyed by case id) in the same transaction, so the events reach
Kafka if and only if the change commits. The caller commits (`uow.commit()`); leaving the
`with` block without committing rolls everything back.

    with UnitOfWork(engine) as uow:
        outcome = dispatch_case(uow, command, calendars=..., now=...)
        uow.commit()
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from services.audit.trail import acting_as
from services.domain.events import DomainEvent
from services.events import CASE_EVENTS
from services.store import cases as case_store
from services.store.outbox import enqueue

T = TypeVar("T")


class UnitOfWork:
    """One transaction on `engine`; see the module text."""

    def __init__(self, engine: Engine, actor: str | None = None) -> None:
        self.engine = engine
        self.actor = actor
        self.conn: Connection | None = None
        self.recorded: list[dict[str, Any]] = []
        self._committed = False
        self._memo: dict[Hashable, Any] = {}

    def __enter__(self) -> UnitOfWork:
        self.conn = self.engine.connect()
        self.conn.begin()
        if self.actor is not None:
            # Who the audit trail names for what this unit of work writes (migration 0016).
            acting_as(self.conn, self.actor)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.conn is not None
        try:
            if not self._committed:
                self.conn.rollback()
        finally:
            self.conn.close()

    def commit(self) -> None:
        """Commits everything written in this unit of work."""
        assert self.conn is not None
        self.conn.commit()
        self._committed = True

    def memo(self, key: Hashable, load: Callable[[], T]) -> T:
        """Reference data (a category's terms, the ruleset version, departments) read once per
        unit of work: a router batch registering many reports reads each only once."""
        if key not in self._memo:
            self._memo[key] = load()
        return self._memo[key]

    def record(self, case_id: uuid.UUID, events: Iterable[DomainEvent]) -> list[dict[str, Any]]:
        """Appends domain events to the case history and the outbox; returns their envelopes.

        The `case_event.event_id` of each entry is its envelope's `event_id`, so a consumer of
        the case-events topic finds the row a message stands for.
        """
        assert self.conn is not None
        written = []
        for event in events:
            payload = event.as_payload()
            envelope = enqueue(
                self.conn, CASE_EVENTS, str(case_id), event.type, payload, occurred_at=event.at
            )
            case_store.insert_event(
                self.conn,
                event_id=envelope["event_id"],
                case_id=case_id,
                type=event.type,
                actor=event.actor,
                at=event.at,
                payload=payload,
            )
            written.append(envelope)
        self.recorded.extend(written)
        return written
