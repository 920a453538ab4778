"""The KPI month rollup (migrations 0115 and 0120, services.store.rollup) stays equal to its
recomputation from `case_fact` whatever writes the facts — a new case, the fold of its events,
the copies of its state, place and rating, the same kind of events recorded again, facts set
wrong and refolded — before and after its deltas are compacted, and a period read through it
(whole months from the rollup, the days around them and the open cases due from the facts)
gives the KPIs the facts give case by case, by street, community and grid worker."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from services.domain.kpi import kpis_by
from services.envelopes import CASE_EVENTS
from services.stats.aggregate import aggregate_kpis
from services.stats.facts import Period, load_figures
from services.store import rollup
from services.store.cases.facts import refold
from services.store.cases.history import record_events
from services.store.kpi_facts import FILED_BY_WORKER, KEYS
from services.store.rollup import compact, kept_and_recomputed
from tests.integration.services.store.tables import (
    DISTRICT,
    add_cases,
    add_departments,
    event_entries,
)

H = timedelta(hours=1)
MINE = f"c.district_code = '{DISTRICT}'"  # these tests' district (other writers may run)
WORKERS = 7_000_000  # the grid workers' account ids, above WORKERS (the facts name no account)


def _assert_kept(conn) -> None:
    kept, recomputed = kept_and_recomputed(conn, MINE)
    assert kept == recomputed
    assert kept


def _pending(conn) -> int:
    return conn.execute(text(f"SELECT count(*) FROM case_rollup_delta c WHERE {MINE}")).scalar()


def _record(conn, ids, kind: str) -> None:
    record_events(conn, CASE_EVENTS, event_entries(ids, kind, "rollup-test"))


def _write_cases(conn, streets: tuple[str, str]) -> list:
    """Twelve cases through every writer of the facts: reported (eight filed by one of two
    grid workers), then dispatched to one of two departments in one of two communities of
    each of two streets, acknowledged, some resolved, postponed, closed, rated, supervised;
    due an hour ago or tomorrow."""
    ids = add_cases(conn, 12)
    conn.execute(
        text("UPDATE case_fact f SET worker_id = CASE WHEN u.i % 3 = 0 THEN NULL "
             "ELSE :w + u.i % 3 END FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS u(id, i) "
             "WHERE f.case_id = u.id"),
        {"ids": ids, "w": WORKERS},
    )  # fmt: skip
    _assert_kept(conn)
    _record(conn, ids, "CaseDispatched")
    add_departments(conn, ("roll-a", "roll-b"), DISTRICT)
    conn.execute(
        text("UPDATE case_file c SET state = 'dispatched', department_code = "
             "CASE WHEN u.i % 3 = 0 THEN 'roll-b' ELSE 'roll-a' END, "
             "street_code = CASE WHEN u.i % 2 = 0 THEN :s2 ELSE :s1 END, "
             "community_code = CASE WHEN u.i % 2 = 0 THEN :s2 ELSE :s1 END "
             "|| CASE WHEN u.i % 4 < 2 THEN '001' ELSE '002' END, "
             "resolve_due = now() + CASE WHEN u.i % 4 = 0 THEN -1 ELSE 24 END "
             "* interval '1 hour' FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS u(id, i) "
             "WHERE c.id = u.id"),
        {"ids": ids, "s1": streets[0], "s2": streets[1]},
    )  # fmt: skip
    _record(conn, ids[:9], "CaseAcknowledged")
    _record(conn, ids[2:6], "ExtensionApproved")
    _record(conn, ids[:8], "CaseResolved")
    _record(conn, ids[3:5], "CaseSupervised")
    conn.execute(text("UPDATE case_file SET state = 'closed' WHERE id = ANY(:ids)"),
                 {"ids": ids[:6]})  # fmt: skip
    _record(conn, ids[:6], "CaseClosed")
    conn.execute(
        text("INSERT INTO case_rating (case_id, rating, rated_by, rated_at) "
             "SELECT id, CASE WHEN i % 2 = 0 THEN 'satisfied' ELSE 'dissatisfied' END, "
             "'reporter', now() FROM unnest(CAST(:ids AS uuid[])) WITH ORDINALITY AS u(id, i)"),
        {"ids": ids[:4]},
    )  # fmt: skip
    conn.execute(text("UPDATE case_file SET state = 'rejected' WHERE id = :id"), {"id": ids[11]})
    return ids


def test_every_writer_of_the_facts_keeps_the_rollup_equal_to_its_recomputation(engine):
    with engine.begin() as conn:
        ids = _write_cases(conn, (DISTRICT + "071", DISTRICT + "072"))
        _assert_kept(conn)
    with engine.begin() as conn:
        # The same kind of events recorded again: the facts count them, so does the rollup.
        _record(conn, ids[:8], "CaseResolved")
        _record(conn, ids[6:8], "CaseReworked")
        _assert_kept(conn)
        # Facts set wrong by hand, then refolded from the history.
        conn.execute(
            text("UPDATE case_fact SET resolutions = resolutions + 5, postponed = NOT postponed, "
                 "state = 'resolved' WHERE case_id = ANY(:ids)"), {"ids": ids[:3]},
        )  # fmt: skip
        _assert_kept(conn)
        refold(conn)
        conn.execute(
            text(
                "UPDATE case_fact f SET state = c.state FROM case_file c "
                "WHERE c.id = f.case_id AND f.case_id = ANY(:ids)"
            ),
            {"ids": ids[:3]},
        )
        _assert_kept(conn)
    with engine.begin() as conn:
        before = kept_and_recomputed(conn, MINE)[0]
        compact(conn)
        assert kept_and_recomputed(conn, MINE)[0] == before
        assert _pending(conn) == 0
        _assert_kept(conn)
    # A write rolled back leaves no difference behind.
    with engine.connect() as conn:
        _record(conn, ids[:2], "CaseSupervised")
        conn.rollback()
    with engine.connect() as conn:
        assert _pending(conn) == 0
        _assert_kept(conn)


# A level's key in the facts, as `kpis_by` groups them; the worker's ranking reads only the
# reports grid workers filed.
BY = {"street": (lambda f: f.street_code, "TRUE"),
      "community": (lambda f: f.community_code, "TRUE"),
      "worker": (lambda f: str(f.facts.worker_id), FILED_BY_WORKER)}  # fmt: skip


@pytest.mark.parametrize("by", list(BY))
def test_a_period_read_through_the_rollup_gives_the_facts_kpis(engine, by):
    streets = {"street": ("073", "074"), "community": ("075", "076"), "worker": ("077", "078")}
    streets = tuple(DISTRICT + s for s in streets[by])
    with engine.begin() as conn:
        ids = _write_cases(conn, streets)
        # Spread over January to March (local time): February whole, the rest around it.
        days = [
            date(2026, 1, 25),
            date(2026, 1, 31),
            date(2026, 2, 1),
            date(2026, 2, 14),
            date(2026, 2, 28),
            date(2026, 3, 1),
            date(2026, 3, 9),
            date(2026, 3, 12),
        ]
        for n, case_id in enumerate(ids):
            local = datetime.combine(days[n % len(days)], datetime.min.time()) + 15 * H
            conn.execute(text("UPDATE case_fact SET created_at = :at, resolve_due = CASE WHEN "
                              "resolve_due IS NULL THEN NULL ELSE :at + :due END "
                              "WHERE case_id = :id"),
                         {"at": (local - 8 * H).replace(tzinfo=UTC), "id": case_id,
                          "due": (n % 5) * 6 * H})  # fmt: skip
        # The case rows received then too (the month's ledgers read them beside the facts).
        conn.execute(text("UPDATE case_file c SET created_at = f.created_at, "
                          "resolve_due = f.resolve_due FROM case_fact f "
                          "WHERE f.case_id = c.id AND c.id = ANY(:ids)"), {"ids": ids})  # fmt: skip
    period = Period(date(2026, 1, 20), date(2026, 3, 10))
    as_of = datetime(2026, 2, 20, tzinfo=UTC)  # some open cases due by then, some not
    group_of, filed = BY[by]
    where = f"c.district_code = :d AND c.case_id = ANY(:ids) AND {filed}"
    # These cases alone are in these two streets: the rollup answers by this level.
    scoped = f"c.district_code = :d AND c.street_code = ANY(:s) AND {filed}"
    assert rollup.answers(KEYS[by], scoped, period.zone)
    with engine.connect() as conn:
        figures = load_figures(conn, period, where, {"d": DISTRICT, "ids": ids})
        facts = [f.facts for f in figures]
        group = {f.facts.case_id: group_of(f) for f in figures}
        expected = kpis_by(facts, lambda f: group[f.case_id], as_of=as_of)
        expected_whole = kpis_by(facts, lambda f: None, as_of=as_of)[None]
        total, groups = aggregate_kpis(conn, period, by, as_of=as_of, where=scoped,
                                       params={"d": DISTRICT, "s": list(streets)})  # fmt: skip
    # 12 March is after the period; a third of the reports came from the hotline.
    assert len(facts) == (11 if by != "worker" else 7)
    assert set(groups) == set(expected) and len(expected) >= 2
    for key, kpis in expected.items():
        _assert_same(groups[key], kpis)
    _assert_same(total, expected_whole)
    assert expected_whole.postponed and expected_whole.due_for_closure > expected_whole.closed


def _assert_same(got, expected) -> None:
    """Equal figures; durations (PostgreSQL's seconds as floats) to the microsecond."""
    for name, value in expected.as_dict().items():
        if name.endswith(("_median", "_p90")) and value is not None:
            assert abs(got.as_dict()[name] - value) < 1e-6, name
        else:
            assert got.as_dict()[name] == value, name
