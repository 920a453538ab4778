"""`register_reports`: the cases of a batch of captured reports, set-wise, in one unit of work.

Each report is decided in the order given (claimed once per event and per report; handled on
the spot → closed; a duplicate of an open case → merged; no rule places it → held for the
operators' intake; else registered and dispatched), with a constant number of statements per
batch: the events are claimed together, the reports read together, the reference data taken
from a `ReferenceCache`, the duplicate search done for the whole batch (reports of the same
batch can be duplicates of each other), and cases, case events and outbox rows written with
one statement each.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.dispatch.commands import RegisterReport
from services.dispatch.errors import DispatchError, UnknownCategory, UnknownReport
from services.dispatch.handlers import ROUTER, CaseOutcome, CategoryTerms
from services.dispatch.reference import ReferenceCache, ReferenceData
from services.dispatch.timing import case_due_times
from services.dispatch.uow import UnitOfWork
from services.domain.events import CaseHeldForIntake, DomainEvent
from services.domain.states import CaseAction, CaseFacts, CaseState, apply
from services.events import CASE_EVENTS, envelope
from services.store import case_batches as store

OPEN_STATES = frozenset({CaseState.reported, CaseState.registered, CaseState.dispatched})


@dataclass
class BatchOutcome:
    """What `register_reports` did: one outcome per command applied or skipped (in the order
    taken), and the commands it refused with the reason (nothing of them was written)."""

    outcomes: list[tuple[RegisterReport, CaseOutcome]] = field(default_factory=list)
    rejected: list[tuple[RegisterReport, DispatchError]] = field(default_factory=list)


@dataclass
class _Writes:
    cases: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[uuid.UUID, DomainEvent]] = field(default_factory=list)
    more_duplicates: dict[uuid.UUID, int] = field(default_factory=dict)
    counts: dict[uuid.UUID, int] = field(default_factory=dict)


def register_reports(
    uow: UnitOfWork,
    commands: Sequence[RegisterReport],
    *,
    reference: ReferenceCache,
    clock: Callable[[], datetime],
    consumer: str = ROUTER,
) -> BatchOutcome:
    """Registers the cases of captured reports, exactly once per event and per report, taking
    the commands in the order given. `clock` is read once: the cases of a batch are registered
    (and dispatched) at one instant, as they are committed together.

    Guarantees, all in the caller's transaction, as `register_report` for each command: an
    event applied before, or a second event of a report that has a case, changes nothing; a
    report handled on the spot gives a case closed at once; a report of the same category
    within the category's radius and time window of an open case — stored, or registered
    earlier in this batch — is merged into the nearest one; a report no rule places is held
    for the operators' intake; otherwise its case is registered and dispatched with due times
    on the working calendar. A command naming an unknown report or category is refused
    (`BatchOutcome.rejected`) and nothing of it is written or claimed; the others go on.
    """
    conn = uow.conn
    result = BatchOutcome()
    data = reference.current(conn)
    reports = store.reports_and_cases(conn, (c.report_id for c in commands))
    valid = []
    for cmd in commands:
        if cmd.report_id not in reports:
            result.rejected.append((cmd, UnknownReport("report_id", f"no report {cmd.report_id}")))
        elif cmd.category_code not in data.terms:
            unknown = f"{cmd.category_code!r} is not in the catalog"
            result.rejected.append((cmd, UnknownCategory("category_code", unknown)))
        else:
            valid.append(cmd)
    claimed = store.claim_events(conn, consumer, [c.event_id for c in valid])
    fresh: list[RegisterReport] = []
    taken: set[uuid.UUID] = set()
    for cmd in valid:
        if cmd.event_id not in claimed:
            result.outcomes.append((cmd, CaseOutcome(False, reports[cmd.report_id])))
        elif reports[cmd.report_id] is not None or cmd.report_id in taken:
            reason = "the report already has a case"
            result.outcomes.append((cmd, CaseOutcome(False, reports[cmd.report_id], reason=reason)))
        else:
            claimed.discard(cmd.event_id)  # a second delivery in the same batch is not applied
            taken.add(cmd.report_id)
            fresh.append(cmd)
    if not fresh:
        return result
    # Registrations of one category are serialised, so two routers never both miss a duplicate.
    store.lock_categories(conn, (c.category_code for c in fresh))
    writes = _Writes()
    outcomes = _decide(uow, fresh, data, clock, writes)
    _write(uow, writes)
    for i, cmd in enumerate(fresh):
        outcome = outcomes[i]
        if outcome.duplicate_of is not None:
            outcome = _with_count(outcome, writes, outcomes, i)
        result.outcomes.append((cmd, outcome))
    return result


def _decide(
    uow: UnitOfWork,
    commands: list[RegisterReport],
    data: ReferenceData,
    clock: Callable[[], datetime],
    writes: _Writes,
) -> list[CaseOutcome]:
    ids = _new_ids(len(commands))
    index_of = {case_id: i for i, case_id in enumerate(ids)}
    probes = [_probe(i, cmd, data.terms[cmd.category_code]) for i, cmd in enumerate(commands)]
    found = store.duplicate_candidates(uow.conn, [p for p in probes if p is not None])
    outcomes: list[CaseOutcome] = []
    now = clock()
    due: dict[CategoryTerms, tuple[datetime | None, datetime | None]] = {}
    for i, cmd in enumerate(commands):
        case_id, terms = ids[i], data.terms[cmd.category_code]
        case_text = str(case_id)
        facts = CaseFacts(case_id=case_text, state=CaseState.reported)
        row = _case_row(case_id, cmd, terms)
        writes.cases.append(row)
        if cmd.handled_on_spot:
            closing = apply(facts, CaseAction.close_on_spot, actor=None, at=now)
            row.update(state=closing.new_state.value, registered_at=now, closed_at=now)
            writes.events.extend((case_id, e) for e in closing.events)
            outcomes.append(
                CaseOutcome(True, case_id, closing.new_state.value, reason="handled on the spot")
            )
            continue
        duplicate = _nearest_open(found.get(i, ()), ids, outcomes)
        if duplicate is not None:
            merge = apply(facts, CaseAction.merge, actor=None, at=now, duplicate_of=str(duplicate))
            row.update(state=merge.new_state.value, merged_into=duplicate)
            writes.events.extend((case_id, e) for e in merge.events)
            if duplicate in index_of:
                target = writes.cases[index_of[duplicate]]
                target["duplicate_count"] = (target.get("duplicate_count") or 0) + 1
            else:
                writes.more_duplicates[duplicate] = writes.more_duplicates.get(duplicate, 0) + 1
            outcomes.append(
                CaseOutcome(True, case_id, merge.new_state.value, duplicate_of=duplicate)
            )
            continue
        decision = data.route(cmd.category_code, cmd.cell_code, cmd.district_code)
        if decision.fallback:
            # 立案 needs a place and a department: the operators decide (register, reject, merge).
            row.update(route_reason=decision.reason, ruleset_version=data.ruleset_version)
            held = CaseHeldForIntake(case_text, None, now, reason=decision.reason)
            writes.events.append((case_id, held))
            outcomes.append(
                CaseOutcome(True, case_id, CaseState.reported.value, reason=decision.reason)
            )
            continue
        registration = apply(facts, CaseAction.register, actor=None, at=now)
        row.update(state=registration.new_state.value, registered_at=now)
        writes.events.extend((case_id, e) for e in registration.events)
        if terms not in due:  # the same for every case of the category's terms
            due[terms] = case_due_times(
                data.calendars, around_the_clock=terms.around_the_clock, start=now,
                ack_limit_minutes=terms.ack_limit_minutes,
                resolve_limit_minutes=terms.resolve_limit_minutes,
            )  # fmt: skip
        ack_due, resolve_due = due[terms]
        registered = CaseFacts(case_id=case_text, state=registration.new_state)
        transition = apply(
            registered, CaseAction.dispatch, actor=None, at=now,
            department_code=decision.department_code, ack_due=ack_due, resolve_due=resolve_due,
        )  # fmt: skip
        # The case is written once, as the dispatch leaves it; its trail still shows the
        # registration (migration 0011: a registration written with its dispatch).
        row.update(
            state=transition.new_state.value, department_code=decision.department_code,
            dispatched_at=now, ack_due=ack_due, resolve_due=resolve_due,
            route_reason=decision.reason, ruleset_version=data.ruleset_version,
        )  # fmt: skip
        writes.events.extend((case_id, e) for e in transition.events)
        outcomes.append(
            CaseOutcome(
                True, case_id, transition.new_state.value, decision.department_code,
                ack_due=ack_due, resolve_due=resolve_due, reason=decision.reason,
            )
        )  # fmt: skip
    return outcomes


def _write(uow: UnitOfWork, writes: _Writes) -> None:
    # Each case in its final state, then every event of the batch (a case's in order).
    conn = uow.conn
    store.insert_cases(conn, writes.cases)
    writes.counts = store.add_duplicates(conn, writes.more_duplicates)
    _record(uow, writes.events)


def _record(uow: UnitOfWork, events: list[tuple[uuid.UUID, DomainEvent]]) -> None:
    entries = []
    for (_, event), event_id in zip(events, _new_id_texts(len(events)), strict=True):
        wrapped = envelope(event.type, event.as_payload(), occurred_at=event.at, event_id=event_id)
        entries.append({"case_id": event.case_id, "actor": event.actor,
                        "at": wrapped["occurred_at"], "envelope": wrapped})  # fmt: skip
    store.insert_events(uow.conn, CASE_EVENTS, entries)
    uow.recorded.extend(e["envelope"] for e in entries)


def _new_id_texts(count: int) -> list[str]:
    """`count` random (version 4) ids as text, without building `uuid.UUID`s (an event id is
    only ever written out)."""
    raw = bytearray(os.urandom(16 * count))
    texts = []
    for i in range(0, 16 * count, 16):
        raw[i + 6] = raw[i + 6] & 0x0F | 0x40  # version 4
        raw[i + 8] = raw[i + 8] & 0x3F | 0x80  # RFC 4122 variant
        h = raw[i : i + 16].hex()
        texts.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return texts


def _new_ids(count: int) -> list[uuid.UUID]:
    """`count` random (version 4) ids from one read of the system's random source."""
    raw = os.urandom(16 * count)
    return [uuid.UUID(bytes=raw[i : i + 16], version=4) for i in range(0, 16 * count, 16)]


def _probe(index: int, cmd: RegisterReport, terms: CategoryTerms) -> store.DuplicateProbe | None:
    if cmd.handled_on_spot or cmd.lat is None or cmd.lng is None:
        return None
    if terms.duplicate_radius_m <= 0:
        return None
    return store.DuplicateProbe(
        index=index, category_code=cmd.category_code, lat=cmd.lat, lng=cmd.lng,
        radius_m=terms.duplicate_radius_m, received_at=cmd.received_at,
        since=cmd.received_at - timedelta(minutes=terms.duplicate_window_minutes),
    )  # fmt: skip


def _nearest_open(candidates, ids: list[uuid.UUID], decided: list[CaseOutcome]) -> uuid.UUID | None:
    """The nearest open case among the candidates (then the oldest, then the smallest id), as
    the stored-case search would see it after the earlier reports of the batch were written."""
    best = None
    for c in candidates:
        if c.peer is not None:
            peer = decided[c.peer]
            if peer.state is None or CaseState(peer.state) not in OPEN_STATES:
                continue
            key = (c.distance_m, c.created_at, str(ids[c.peer])), ids[c.peer]
        else:
            key = (c.distance_m, c.created_at, str(c.case_id)), c.case_id
        if best is None or key[0] < best[0]:
            best = key
    return best[1] if best else None


def _with_count(
    outcome: CaseOutcome, writes: _Writes, outcomes: list[CaseOutcome], i: int
) -> CaseOutcome:
    target = outcome.duplicate_of
    earlier = sum(1 for o in outcomes[: i + 1] if o.duplicate_of == target)
    later = sum(1 for o in outcomes[i + 1 :] if o.duplicate_of == target)
    stored = writes.counts.get(target)
    count = stored - later if stored is not None else earlier
    return CaseOutcome(
        True, outcome.case_id, outcome.state, duplicate_of=target,
        reason=f"duplicate of an open case ({count} merged so far)",
    )  # fmt: skip


def _case_row(case_id: uuid.UUID, cmd: RegisterReport, terms: CategoryTerms) -> dict[str, Any]:
    return {
        "id": case_id, "case_no": cmd.case_no, "report_id": cmd.report_id,
        "state": CaseState.reported.value, "category_code": cmd.category_code,
        "priority": terms.priority, "around_the_clock": terms.around_the_clock,
        "cell_id": cmd.cell_id, "cell_code": cmd.cell_code, "grid_version": cmd.grid_version,
        "community_code": cmd.community_code, "street_code": cmd.street_code,
        "district_code": cmd.district_code, "created_at": cmd.received_at,
        "lat": cmd.lat, "lng": cmd.lng,
    }  # fmt: skip
