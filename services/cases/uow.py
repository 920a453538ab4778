"""The unit of work every command handler takes: one database transaction.

A handler loads what it needs through `uow.conn` (with the case store, services.store.cases,
and services.store.departments), asks the pure domain what happens, and writes the outcome;
`record` (one case's events) and `record_all` (a batch's) append the domain events to the
case history *and* to the outbox (topic CASE_EVENTS, keyed by case id), and fold them into
the cases' KPI facts, in one statement of the same transaction, so the events reach Kafka if
and only if the change commits. The
caller commits (`uow.commit()`); leaving the `with` block without committing rolls
everything back.

    with UnitOfWork(engine) as uow:
        outcome = dispatch_case(uow, command, calendars=..., now=...)
        uow.commit()
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

from services.domain.events import DomainEvent
from services.envelopes import CASE_EVENTS, envelope
from services.store.audit_log import acting_as
from services.store.cases.history import record_events

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

    def record(
        self,
        case_id: uuid.UUID,
        events: Iterable[DomainEvent],
        shown: Mapping[int, dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        """Appends one case's domain events to its history and the outbox; returns their
        envelopes (see `record_all`)."""
        return self.record_all([(case_id, event) for event in events], shown)

    def record_all(
        self,
        events: Iterable[tuple[uuid.UUID, DomainEvent]],
        shown: Mapping[int, dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        """Appends domain events (each with its case) to the case history and the outbox in
        one statement, in the order given; returns their envelopes. `shown`, by position in
        `events`: what the audit trail shows of the case after an event its row has gone past
        (a registration written with its dispatch, `Registration.shown`).

        The `case_event.event_id` of each entry is its envelope's `event_id`, so a consumer of
        the case-events topic finds the row a message stands for.
        """
        assert self.conn is not None
        events = list(events)
        entries = []
        for (case_id, event), event_id in zip(events, new_id_texts(len(events)), strict=True):
            wrapped = envelope(
                event.type, event.as_payload(), occurred_at=event.at, event_id=event_id
            )
            entries.append({"case_id": case_id, "actor": event.actor,
                            "at": wrapped["occurred_at"], "envelope": wrapped})  # fmt: skip
        for i, facts in (shown or {}).items():
            entries[i]["trail"] = facts
        record_events(self.conn, CASE_EVENTS, entries)
        written = [e["envelope"] for e in entries]
        self.recorded.extend(written)
        return written


def new_id_texts(count: int) -> list[str]:
    """`count` random (version 4) ids as text from one read of the system's random source,
    without building `uuid.UUID`s (an event id is only ever written out)."""
    raw = bytearray(os.urandom(16 * count))
    texts = []
    for i in range(0, 16 * count, 16):
        raw[i + 6] = raw[i + 6] & 0x0F | 0x40  # version 4
        raw[i + 8] = raw[i + 8] & 0x3F | 0x80  # RFC 4122 variant
        h = raw[i : i + 16].hex()
        texts.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return texts
