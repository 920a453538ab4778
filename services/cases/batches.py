"""`register_reports`: the cases of a batch of captured reports, set-wise, in one unit of work
(the router's registration; each case decided by `services.cases.registration.register`).

Each report is decided in the order given (claimed once per event and per report; handled on
the spot → closed; a call the operator attached to an open case, or a duplicate of an open
case → merged; no rule places it → held for the
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
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from services.cases.commands import CaseOutcome, RegisterReport
from services.cases.errors import CaseError, UnknownCategory, UnknownReport
from services.cases.reference import CategoryTerms, ReferenceCache, ReferenceData
from services.cases.registration import DueTimes, new_case_row, register
from services.cases.uow import UnitOfWork
from services.domain.events import DomainEvent
from services.domain.states import CaseAction, CaseFacts, CaseState, apply, is_open
from services.store.cases import intake as store
from services.store.cases.rows import add_duplicates, insert_cases

ROUTER = "router"


@dataclass
class BatchOutcome:
    """What `register_reports` did: one outcome per command applied or skipped (in the order
    taken), and the commands it refused with the reason (nothing of them was written)."""

    outcomes: list[tuple[RegisterReport, CaseOutcome]] = field(default_factory=list)
    rejected: list[tuple[RegisterReport, CaseError]] = field(default_factory=list)


@dataclass
class _Writes:
    cases: list[dict[str, Any]] = field(default_factory=list)
    events: list[tuple[uuid.UUID, DomainEvent]] = field(default_factory=list)
    shown: dict[int, dict[str, Any]] = field(default_factory=dict)
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
    due: DueTimes = {}
    for i, cmd in enumerate(commands):
        case_id, terms = ids[i], data.terms[cmd.category_code]
        case_text = str(case_id)
        facts = CaseFacts(case_id=case_text, state=CaseState.reported)
        row = new_case_row(case_id, cmd, terms)
        writes.cases.append(row)
        if cmd.handled_on_spot:
            closing = apply(facts, CaseAction.close_on_spot, actor=None, at=now)
            row.update(state=closing.new_state.value, registered_at=now, closed_at=now)
            writes.events.extend((case_id, e) for e in closing.events)
            outcomes.append(
                CaseOutcome(True, case_id, closing.new_state.value, reason="handled on the spot")
            )
            continue
        duplicate = cmd.attach_to or _nearest_open(found.get(i, ()), ids, outcomes)
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
        decided = register(
            facts, category_code=cmd.category_code, cell_code=cmd.cell_code,
            district_code=cmd.district_code, data=data, now=now, actor=None,
            hold_unplaced=True, due=due,
        )  # fmt: skip
        row.update(decided.changes)
        writes.shown.update({len(writes.events) + i: f for i, f in decided.shown.items()})
        writes.events.extend((case_id, e) for e in decided.events)
        outcomes.append(replace(decided.outcome, case_id=case_id))
    return outcomes


def _write(uow: UnitOfWork, writes: _Writes) -> None:
    # Each case in its final state, then every event of the batch (a case's in order).
    insert_cases(uow.conn, writes.cases)
    writes.counts = add_duplicates(uow.conn, writes.more_duplicates)
    uow.record_all(writes.events, writes.shown)


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
            if peer.state is None or not is_open(CaseState(peer.state)):
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
