"""The statements of the ingest path reach the rows they name by key, whatever the plan their
connection keeps: a report's capture, the router's look-up of a batch's reports, the events'
statement (which folds them into `case_fact` too) and the live feed's messages of a poll's
events. A pooled connection prepares each on first use and keeps its generic plan; made while
the tables were small, a plan joining a whole table read all of it on every call as the
tables grew."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from services.capture.intake import CaptureReport, capture_report
from services.envelopes import CASE_EVENTS
from services.live.messages import event_messages
from services.store.cases.history import record_events
from services.store.cases.intake import reports_and_cases
from tests.integration.services.store.tables import add_cases, event_entries

TABLES = ("report", "case_file", "case_event", "case_fact")


@pytest.fixture()
def kept_plans(database_url):
    """An engine of one connection whose prepared statements take their generic plan at once
    (as a long-running process's connections end up with, after five uses)."""
    engine = create_engine(
        database_url, pool_size=1, max_overflow=0,
        connect_args={"options": "-c plan_cache_mode=force_generic_plan -c jit=off"},
    )  # fmt: skip
    yield engine
    engine.dispose()


def _seq_scans(engine) -> dict[str, int]:
    """Sequential scans of TABLES so far, the pool's connection's own included (its pending
    statistics are flushed first)."""
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_force_next_flush()"))
        conn.commit()  # flushed as the connection goes idle
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        rows = conn.execute(
            text("SELECT relname, seq_scan FROM pg_stat_user_tables WHERE relname = ANY(:t)"),
            {"t": list(TABLES)},
        )
        return {name: n for name, n in rows}


def _capture(engine, category: str) -> uuid.UUID:
    report_id = uuid.uuid4()
    cmd = CaptureReport(
        id=report_id, channel="grid", category_code=category, description="井盖破损",
        lat=None, lng=None, crs="wgs84", accuracy_m=None, occurred_at=datetime.now(UTC),
        canonical={"id": str(report_id)},
    )  # fmt: skip
    assert capture_report(engine, "/nonexistent", lambda *a: None, cmd).created
    return report_id


def _events(engine, case_ids: list[uuid.UUID]) -> list[str]:
    # An event that counts for a KPI: its statement also folds it into the cases' facts.
    entries = event_entries(case_ids, "CaseAcknowledged", "operator-1")
    with engine.begin() as conn:
        record_events(conn, CASE_EVENTS, entries)
    return [e["envelope"]["event_id"] for e in entries]


def _ingest(engine, category: str, case_ids: list[uuid.UUID]) -> None:
    """One of each statement on the engine's connection, checking what each gives."""
    report_id = _capture(engine, category)
    event_ids = _events(engine, case_ids)
    with engine.connect() as conn:
        found = reports_and_cases(conn, [report_id, uuid.uuid4()])
    assert found == {report_id: None}
    messages = event_messages(engine, event_ids)
    assert [m.event_id for m in messages] == event_ids


def test_the_ingest_statements_reach_their_rows_by_key_however_the_tables_grew(kept_plans, engine):
    with engine.connect() as conn:
        category = conn.execute(text("SELECT code FROM category WHERE active LIMIT 1")).scalar()
    with engine.begin() as conn:
        small = add_cases(conn, 20)
    for _ in range(6):  # SQLAlchemy's statements are prepared on their sixth use
        _ingest(kept_plans, category, small[:5])
    with engine.begin() as conn:
        # Past a hundred pages of case_fact: below that, the events' statement (planned at each
        # execution, never kept) may scan those few pages as its cheaper plan.
        grown = add_cases(conn, 10000)

    before = _seq_scans(kept_plans)
    _ingest(kept_plans, category, grown[:20])
    after = _seq_scans(kept_plans)

    assert {table: after[table] - before[table] for table in TABLES} == dict.fromkeys(TABLES, 0)
