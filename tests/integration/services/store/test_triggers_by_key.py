"""The trail and the per-case facts reach the cases a statement wrote by key: the trail and the
facts' copies kept by statement-level triggers (migration 0015), the facts' fold by the
statement that writes the events (services.store.cases.facts, migration 0021). A connection
whose statements were first planned while the tables were small (a new installation, a
router's first batch) does not go on reading every case there is once the tables have grown."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from services.envelopes import CASE_EVENTS
from services.store.cases.history import record_events
from tests.integration.services.store.tables import add_cases, event_entries

BATCH = 40  # cases per statement, as in a router's batch


def _write(conn, ids: list[uuid.UUID]) -> dict[str, dict[str, int]]:
    """Three statements keeping the trail and facts of `ids`: their events (trail, facts' fold), a
    change of their state (facts' copy) and their ratings (facts' rating); returns, per
    statement, the sequential scans it made of `case_file` and `case_fact`."""
    scans: dict[str, dict[str, int]] = {}

    def counted(name: str, run) -> None:
        before = _seq_scans(conn)
        run()
        after = _seq_scans(conn)
        scans[name] = {table: after[table] - before[table] for table in after}

    entries = event_entries(ids, "CaseAcknowledged", "dept-1")
    counted("events", lambda: record_events(conn, CASE_EVENTS, entries))
    counted("case", lambda: conn.execute(
        text("UPDATE case_file SET state = 'registered' WHERE id = ANY(:ids)"), {"ids": ids}
    ))  # fmt: skip
    counted("rating", lambda: conn.execute(
        text("INSERT INTO case_rating (case_id, rating, rated_by, rated_at) "
             "SELECT id, 'satisfied', 'reporter', now() FROM unnest(CAST(:ids AS uuid[])) id"),
        {"ids": ids},
    ))  # fmt: skip
    return scans


def _seq_scans(conn) -> dict[str, int]:
    """Sequential scans of the two tables in this transaction so far."""
    rows = conn.execute(
        text(
            "SELECT relname, seq_scan FROM pg_stat_xact_user_tables "
            "WHERE relname IN ('case_file', 'case_fact')"
        )
    )
    counts = dict.fromkeys(("case_file", "case_fact"), 0)
    counts.update({name: n for name, n in rows})
    return counts


def test_a_statement_reaches_its_cases_by_key_however_the_tables_grew(engine, owner_engine):
    with engine.connect() as conn:  # one connection throughout, as a router keeps its own
        with conn.begin():
            _write(conn, add_cases(conn, BATCH))  # the triggers' statements planned here
        # Analysed while small (autovacuum does so as a table starts to fill): a kept plan
        # would be a scan of its few pages (migration 0017).
        with owner_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as owner:
            owner.execute(text("ANALYZE case_file"))
            owner.execute(text("ANALYZE case_fact"))
        with conn.begin():
            _write(conn, add_cases(conn, BATCH))  # planned again on the analysed tables
        with engine.begin() as other:
            add_cases(other, 3000)  # the tables grow tenfold and more
        with conn.begin():
            ids = add_cases(conn, BATCH)
            scans = _write(conn, ids)
            facts = conn.execute(
                text(
                    "SELECT count(*) FILTER (WHERE state = 'registered' AND rating = 'satisfied' "
                    "AND acknowledged_at IS NOT NULL), count(*) FROM case_fact "
                    "WHERE case_id = ANY(:ids)"
                ),
                {"ids": ids},
            ).one()
            trail = conn.execute(
                text(
                    "SELECT count(*) FROM audit_log WHERE action = 'case.CaseAcknowledged' "
                    "AND subject = ANY(:s) AND after->>'state' = 'reported'"
                ),
                {"s": [f"case:{i}" for i in ids]},
            ).scalar_one()

    assert tuple(facts) == (BATCH, BATCH)  # what the triggers keep is still all there
    assert trail == BATCH
    assert scans["events"] == {"case_file": 0, "case_fact": 0}
    assert scans["case"]["case_fact"] == 0
    assert scans["rating"]["case_fact"] == 0
