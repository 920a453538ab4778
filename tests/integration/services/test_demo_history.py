"""`gridflow demo load`'s history on an empty database: cases through every path of the closed
loop, written by the case handlers (due times from the working calendar, KPI facts folded,
the audit trail kept), none of it relayed as news; the same seed writes the same past; loaded
once."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from services.calendars import load_calendars
from services.demo import load_demo
from services.store.db import make_engine
from services.store.rollup import kept_and_recomputed

NOW = datetime(2026, 3, 17, 3, 0, tzinfo=UTC)  # 11:00 in China, a Tuesday
DAYS = 10


@pytest.fixture()
def fresh(config):
    """Makes fresh databases migrated by the owner, reached as the application role."""
    from contextlib import ExitStack

    from tests.databases import fresh_database

    with ExitStack() as stack:

        def make():
            name = f"gridflow_history_{uuid.uuid4().hex[:8]}"
            url = stack.enter_context(fresh_database(name, config.database_url))
            engine = make_engine(url)
            stack.callback(engine.dispose)
            return engine

        yield make


def _past(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT c.case_no, c.category_code, c.cell_code, c.state, r.received_at, "
            "c.department_code, c.rework_count, c.extension_count FROM case_file c "
            "JOIN report r ON r.id = c.report_id ORDER BY c.case_no"))]  # fmt: skip


def test_the_history_goes_through_every_path_by_the_rules(fresh, config, tmp_path):
    engine = fresh()
    dev = config.with_(env="development", media_dir=str(tmp_path))
    steps = load_demo(engine, dev, history_days=DAYS, seed=11, now=NOW)
    assert steps[-1].startswith(f"history of {DAYS} days (seed 11) loaded in ")
    with engine.connect() as conn:
        events = Counter(dict(conn.execute(text("SELECT type, count(*) FROM case_event "
                                                "GROUP BY type")).all()))  # fmt: skip
        how = "SELECT payload->>'how' FROM case_event WHERE type = 'CaseClosed'"
        closed_how = Counter(conn.execute(text(how)).scalars())
        unsent = conn.execute(text("SELECT count(*) FROM outbox WHERE sent_at IS NULL")).scalar()
        audited = conn.execute(text("SELECT count(*) FROM audit_log WHERE action LIKE 'case.%'"))
        facts = conn.execute(text(
            "SELECT count(*) FILTER (WHERE postponed), sum(failed_verifications), "
            "sum(supervisions) + sum(urgings), count(*) FILTER (WHERE closed_at IS NOT NULL) "
            "FROM case_fact")).one()  # fmt: skip
        newest = conn.execute(text("SELECT max(r.received_at) FROM report r")).scalar()
        sample = conn.execute(text(
            "SELECT c.registered_at, c.ack_due, c.resolve_due, k.ack_limit_minutes, "
            "k.resolve_limit_minutes FROM case_file c JOIN category k ON k.code = "
            "c.category_code JOIN case_event e ON e.case_id = c.id AND e.type = 'CaseDispatched' "
            "WHERE NOT k.around_the_clock AND c.rework_count = 0 AND c.extension_count = 0 "
            "AND NOT EXISTS (SELECT 1 FROM case_event x WHERE x.case_id = c.id AND x.type = "
            "'CaseReturned') ORDER BY c.case_no LIMIT 1")).one()  # fmt: skip
        calendars = load_calendars(dev, conn)
        rollup_kept, rollup_recomputed = kept_and_recomputed(conn)
    for kind in ("CaseRegistered", "CaseDispatched", "CaseAcknowledged", "CaseReturned",
                 "CaseResolved", "CaseVerified", "CaseReworked", "CaseClosed", "CaseMerged",
                 "ExtensionRequested", "ExtensionApproved", "CaseOverdue", "CaseRated",
                 "CaseUrged", "CaseSupervised"):  # fmt: skip
        assert events[kind] > 0, kind
    assert closed_how["on_spot"] > 0 and closed_how["verified"] > 0
    assert unsent == 0  # history, not news: nothing for the relay
    assert audited.scalar() == sum(events.values())
    postponed, failed, pressed, closed = facts
    assert postponed > 0 and failed > 0 and pressed > 0 and closed > 0
    # The stories replayed through the case handlers leave the KPI month rollup equal to its
    # recomputation from the facts.
    assert rollup_kept == rollup_recomputed and rollup_kept
    assert newest < NOW and newest > NOW - timedelta(hours=12)
    registered_at, ack_due, resolve_due, ack_limit, resolve_limit = sample
    working = calendars.working
    assert ack_due == working.add(registered_at, timedelta(minutes=ack_limit))
    assert resolve_due == working.add(registered_at, timedelta(minutes=resolve_limit))

    again = load_demo(engine, dev, history_days=DAYS, seed=11, now=NOW + timedelta(hours=1))
    assert again[-1] == "history already loaded (a case older than a day exists)"


def test_the_same_seed_writes_the_same_past(fresh, config, tmp_path):
    dev = config.with_(env="development", media_dir=str(tmp_path))
    first, second = fresh(), fresh()
    load_demo(first, dev, history_days=3, seed=5, now=NOW)
    load_demo(second, dev, history_days=3, seed=5, now=NOW)
    assert _past(first) == _past(second) != []
    assert datetime.now(UTC) > NOW  # the past stays the past
