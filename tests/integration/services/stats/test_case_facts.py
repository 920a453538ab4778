"""The stored per-case facts (`case_fact`, folded by the events' one writer) against the case
events they come from, and the KPIs aggregated by PostgreSQL against the domain's arithmetic
over facts read from the events, on a mixed history: rejected, merged and untouched reports,
re-dispatches, acknowledgements, reworks, approved extensions, ratings, open and late cases;
events written one by one and several per statement, not in time order."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from services.domain.calendar import WorkingCalendar
from services.domain.events import Satisfaction
from services.domain.kpi import KpiFacts, compute_kpis, kpis_by
from services.domain.states import CaseState
from services.envelopes import CASE_EVENTS, envelope
from services.stats.facts import Period
from services.stats.reports import by_department, by_jurisdiction
from services.store.cases.facts import refold
from services.store.cases.history import record_events

DISTRICT = "990101"  # a district of this test alone
STREETS = [DISTRICT + s for s in ("001", "002", "003")]
DEPARTMENTS = ["kpi-water", "kpi-roads", "kpi-parks"]
PERIOD = Period(date(2025, 3, 1), date(2025, 3, 31))
AS_OF = datetime(2025, 3, 20, 12, tzinfo=UTC)  # some cases still running, some past due
M = timedelta(minutes=1)

# The facts as the reports read them before they were stored: aggregated from the events.
FROM_EVENTS = """
SELECT c.id::text AS case_id, c.state, c.created_at, c.department_code, c.street_code,
  c.resolve_due, g.rating,
  min(e.at) FILTER (WHERE e.type = 'CaseDispatched') AS dispatched_at,
  min(e.at) FILTER (WHERE e.type = 'CaseAcknowledged') AS acknowledged_at,
  max(e.at) FILTER (WHERE e.type = 'CaseResolved') AS resolved_at,
  max(e.at) FILTER (WHERE e.type = 'CaseClosed') AS closed_at,
  coalesce(bool_or(e.type = 'ExtensionApproved'), false) AS postponed,
  count(e.id) FILTER (WHERE e.type = 'CaseResolved') AS resolutions,
  count(e.id) FILTER (WHERE e.type = 'CaseReworked') AS failed_verifications
FROM case_file c
LEFT JOIN case_event e ON e.case_id = c.id
LEFT JOIN case_rating g ON g.case_id = c.id
WHERE c.district_code = :district
GROUP BY c.id, g.rating
"""


def _history(rng: random.Random, start: datetime) -> tuple[str, list[tuple[str, datetime]], dict]:
    """A random case's final state, its events (type, at) and changes to its row."""
    t = start + M
    events = [("CaseRegistered", t)]
    change: dict = {}
    fate = rng.choice(["reported", "rejected", "merged", "open", "open", "closed", "closed",
                       "closed", "closed"])  # fmt: skip
    if fate == "reported":
        return "reported", [], change
    if fate in ("rejected", "merged"):
        events.append(("CaseRejected" if fate == "rejected" else "CaseMerged", t + M))
        return fate, events, change
    t += rng.randint(1, 20) * M
    events.append(("CaseDispatched", t))
    if rng.random() < 0.2:  # returned and dispatched again, to another department
        t += rng.randint(5, 60) * M
        events += [("CaseReturned", t), ("CaseDispatched", t + 3 * M)]
        change["department_code"] = rng.choice(DEPARTMENTS)
        t += 3 * M
    stages = rng.randint(0, 3) if fate == "open" else 3
    if stages >= 1:
        t += rng.randint(1, 90) * M
        events.append(("CaseAcknowledged", t))
        if rng.random() < 0.15:
            events.append(("CaseAcknowledged", t + 7 * M))  # acknowledged again
    if rng.random() < 0.2:
        t += rng.randint(1, 30) * M
        events += [("ExtensionRequested", t), ("ExtensionApproved", t + 5 * M)]
        change["resolve_due"] = start + timedelta(hours=rng.randint(6, 72))
    if stages >= 2:
        t += rng.randint(30, 900) * M
        events.append(("CaseResolved", t))
        for _ in range(rng.choice([0, 0, 0, 1, 2])):  # failed verifications, resolved again
            t += rng.randint(10, 120) * M
            events += [("CaseReworked", t), ("CaseResolved", t + rng.randint(10, 300) * M)]
            t += 300 * M
    if stages >= 3:
        t += rng.randint(5, 200) * M
        events.append(("CaseVerified", t))
        events.append(("CaseClosed", t + M))
        return "closed", events, change
    return ["dispatched", "acknowledged", "resolved"][min(stages, 2)], events, change


@pytest.fixture(scope="module")
def history(engine):
    """~240 cases of March 2025 in a district of their own."""
    rng = random.Random(20250301)
    with engine.begin() as conn:
        category = conn.execute(text("SELECT code FROM category ORDER BY code LIMIT 1")).scalar()
        for code in DEPARTMENTS:
            conn.execute(
                text(
                    "INSERT INTO department (code, name_zh, name_en, kind, jurisdiction_code) "
                    "VALUES (:c, :c, :c, 'department', :d) ON CONFLICT (code) DO NOTHING"
                ),
                {"c": code, "d": DISTRICT},
            )
    cases = []
    for n in range(240):
        created = datetime(2025, 2, 26, tzinfo=UTC) + n * timedelta(hours=3, minutes=7)
        state, events, change = _history(rng, created)
        case_id, report_id = uuid.uuid4(), uuid.uuid4()
        street = rng.choice(STREETS)
        merged_into = cases[0][0] if state == "merged" and cases else None
        state = "rejected" if state == "merged" and merged_into is None else state
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO report (id, case_no, channel, category_code, description, lat, "
                    "lng, crs, placement, street_code, district_code, occurred_at, body_hash) "
                    "VALUES (:id, :no, 'grid', :cat, '测试', 29.9, 121.5, 'wgs84', 'inside', "
                    ":street, :district, :at, :hash)"
                ),
                {
                    "id": report_id,
                    "no": f"K{n:05d}{report_id.hex[:6]}",
                    "cat": category,
                    "street": street,
                    "district": DISTRICT,
                    "at": created,
                    "hash": report_id.hex,
                },  # fmt: skip
            )
            conn.execute(
                text(
                    "INSERT INTO case_file (id, case_no, report_id, state, category_code, "
                    "priority, department_code, street_code, district_code, created_at, "
                    "resolve_due) VALUES (:id, :no, :rid, 'reported', :cat, 'normal', :dept, "
                    ":street, :district, :at, :due)"
                ),
                {
                    "id": case_id,
                    "no": f"K{n:05d}{report_id.hex[:6]}",
                    "rid": report_id,
                    "cat": category,
                    "dept": rng.choice(DEPARTMENTS),
                    "street": street,
                    "district": DISTRICT,
                    "at": created,
                    "due": created + timedelta(hours=rng.choice([2, 8, 24])),
                },  # fmt: skip
            )
        rng.shuffle(events)  # written out of time order
        while events:
            size = rng.randint(1, 3)
            chunk, events = events[:size], events[size:]
            with engine.begin() as conn:
                record_events(conn, CASE_EVENTS, [_entry(case_id, kind, at) for kind, at in chunk])
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE case_file SET state = :s, merged_into = :m, "
                    "department_code = coalesce(:dept, department_code), "
                    "resolve_due = coalesce(:due, resolve_due) WHERE id = :id"
                ),
                {
                    "s": state,
                    "m": merged_into,
                    "dept": change.get("department_code"),
                    "due": change.get("resolve_due"),
                    "id": case_id,
                },  # fmt: skip
            )
            if state == "closed" and rng.random() < 0.4:
                conn.execute(
                    text(
                        "INSERT INTO case_rating (case_id, rating, rated_by, rated_at) "
                        "VALUES (:c, 'dissatisfied', 'reporter', now())"
                    ),
                    {"c": case_id},
                )
                conn.execute(  # the rating changed after it was first written
                    text("UPDATE case_rating SET rating = :r WHERE case_id = :c"),
                    {"r": rng.choice([s.value for s in Satisfaction]), "c": case_id},
                )
        cases.append((case_id, state))
    return cases


def _entry(case_id: uuid.UUID, kind: str, at: datetime) -> dict:
    """One event as the case history's one writer takes it."""
    wrapped = envelope(kind, {"case_id": str(case_id)}, occurred_at=at)
    return {"case_id": str(case_id), "actor": "test", "at": wrapped["occurred_at"],
            "envelope": wrapped}  # fmt: skip


def _reference(engine) -> list[tuple[KpiFacts, str | None]]:
    with engine.connect() as conn:
        rows = conn.execute(text(FROM_EVENTS), {"district": DISTRICT}).mappings().all()
    out = []
    for r in rows:
        if not PERIOD.start <= r["created_at"] < PERIOD.end:
            continue
        fact = KpiFacts(
            case_id=r["case_id"], state=CaseState(r["state"]), reported_at=r["created_at"],
            department_code=r["department_code"], dispatched_at=r["dispatched_at"],
            acknowledged_at=r["acknowledged_at"], resolved_at=r["resolved_at"],
            closed_at=r["closed_at"], resolve_due=r["resolve_due"],
            postponed=bool(r["postponed"]), resolutions=r["resolutions"],
            failed_verifications=r["failed_verifications"],
            rating=Satisfaction(r["rating"]) if r["rating"] else None,
        )  # fmt: skip
        out.append((fact, r["street_code"]))
    return out


def _same(actual: dict, expected: dict) -> None:
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        if isinstance(value, float):
            assert actual[key] == pytest.approx(value, abs=1e-6), key
        else:
            assert actual[key] == value, key


def test_stored_facts_are_those_of_the_events(engine, history):
    with engine.connect() as conn:
        stored = {
            str(r.case_id): r
            for r in conn.execute(
                text("SELECT * FROM case_fact WHERE district_code = :d"), {"d": DISTRICT}
            )
        }
        cases = {
            str(r.id): r
            for r in conn.execute(
                text("SELECT * FROM case_file WHERE district_code = :d"), {"d": DISTRICT}
            )
        }
        events = conn.execute(text(FROM_EVENTS), {"district": DISTRICT}).mappings().all()
    assert len(stored) == len(cases) == len(history) == len(events)
    assert {s for _, s in history} >= {"reported", "rejected", "merged", "closed", "dispatched"}
    for e in events:
        row, case = stored[e["case_id"]], cases[e["case_id"]]
        for column in ("state", "department_code", "resolve_due", "street_code", "created_at"):
            assert getattr(row, column) == getattr(case, column), column
        for column in ("dispatched_at", "acknowledged_at", "resolved_at", "closed_at",
                       "postponed", "resolutions", "failed_verifications", "rating"):  # fmt: skip
            assert getattr(row, column) == e[column], column
    assert sum(r.failed_verifications for r in stored.values()) > 0
    assert any(r.postponed for r in stored.values())
    assert any(r.rating for r in stored.values())


@pytest.mark.parametrize("calendar", [None, WorkingCalendar()], ids=["clock", "working"])
def test_kpis_from_stored_facts_equal_the_kpis_of_the_events(engine, history, calendar):
    reference = _reference(engine)
    facts = [f for f, _ in reference]
    street_of = {f.case_id: s for f, s in reference}
    where, params = "c.district_code = :d", {"d": DISTRICT}
    with engine.connect() as conn:
        departments = by_department(conn, PERIOD, where=where, params=params, now=AS_OF,
                                    calendar=calendar)  # fmt: skip
        streets = by_jurisdiction(conn, PERIOD, "street", where=where, params=params, now=AS_OF,
                                  calendar=calendar)  # fmt: skip
    total = compute_kpis(facts, as_of=AS_OF, calendar=calendar)
    assert total.cases > 100 and total.closed and total.due_for_closure > total.closed
    _same(departments.total.as_dict(), total.as_dict())
    _same(streets.total.as_dict(), total.as_dict())
    per_department = kpis_by(facts, lambda f: f.department_code, as_of=AS_OF, calendar=calendar)
    assert {r.key for r in departments.rows} == set(per_department) == set(DEPARTMENTS)
    for row in departments.rows:
        _same(row.kpis.as_dict(), per_department[row.key].as_dict())
    per_street = kpis_by(facts, lambda f: street_of[f.case_id], as_of=AS_OF, calendar=calendar)
    assert {r.key for r in streets.rows} == set(per_street)
    for row in streets.rows:
        _same(row.kpis.as_dict(), per_street[row.key].as_dict())


def test_kpis_of_any_population_equal_the_kpis_of_its_facts(engine, history):
    from services.stats.aggregate import kpis_of

    facts = [f for f, _ in _reference(engine) if f.state in (CaseState.closed, CaseState.resolved)]
    population = "c.state IN ('closed', 'resolved') AND c.created_at >= :s AND c.created_at < :e"
    with engine.connect() as conn:
        got = kpis_of(conn, population, as_of=AS_OF, where="c.district_code = :d",
                      params={"d": DISTRICT, "s": PERIOD.start, "e": PERIOD.end})  # fmt: skip
        nobody = kpis_of(conn, "FALSE", as_of=AS_OF)
    assert got.closed > 10
    _same(got.as_dict(), compute_kpis(facts, as_of=AS_OF).as_dict())
    _same(nobody.as_dict(), compute_kpis([], as_of=AS_OF).as_dict())


def test_kpis_of_a_period_without_cases_are_empty(engine, history):
    empty = Period(date(2019, 1, 1), date(2019, 1, 31))
    where, params = "c.district_code = :d", {"d": DISTRICT}
    with engine.connect() as conn:
        report = by_department(conn, empty, where=where, params=params, now=AS_OF)
    assert report.rows == []
    _same(report.total.as_dict(), compute_kpis([], as_of=empty.end).as_dict())


def test_stored_durations_are_those_of_the_facts(engine, history):
    def seconds(later, earlier):
        return None if later is None or earlier is None else (later - earlier).total_seconds()

    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT * FROM case_fact WHERE district_code = :d"), {"d": DISTRICT}
        ).all()
    counted = 0
    for r in rows:
        in_loop = r.state not in ("reported", "rejected", "merged")
        ack = seconds(r.acknowledged_at, r.dispatched_at) if in_loop else None
        resolve = seconds(r.resolved_at, r.dispatched_at) if in_loop else None
        close = seconds(r.closed_at, r.created_at) if r.state == "closed" else None
        assert (r.ack_s, r.resolve_s, r.close_s) == (ack, resolve, close), r.case_id
        counted += r.close_s is not None
    assert counted > 10 and any(r.ack_s is None and r.dispatched_at for r in rows)


def test_folding_the_whole_history_again_changes_no_fact(engine, history):
    # The facts folded statement by statement, events out of time order and several per
    # statement, are those of the whole history folded at once.
    with engine.connect() as conn, conn.begin():
        assert refold(conn) == 0
        conn.execute(
            text("UPDATE case_fact SET resolutions = resolutions + 1 WHERE district_code = :d"),
            {"d": DISTRICT},
        )
        changed = refold(conn)
        conn.rollback()
    resolved = sum(1 for _, state in history if state in ("resolved", "closed"))
    assert changed >= resolved > 0  # each row set back to its history's count
