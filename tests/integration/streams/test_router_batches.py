"""The router's batch processor on the real PostgreSQL: a poll's reports registered set-wise.

Reports are posted through the API (report row + ReportCaptured outbox row); their events are
read from the outbox as Kafka carries them and handed to `make_batch_router` in one batch, as
`gridflow router` does with a poll. The cells are those of street 330211016, which no other
test of the suite files reports in.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, text

from services.cases.reference import ReferenceCache
from services.cases.uow import UnitOfWork
from services.routing.rules import add_rule, remove_rule
from services.routing.specs import RuleSpec
from streams.consumed import Event
from streams.router import make_batch_router
from tests.integration.services.handling.loop import captured_event
from tests.integration.streams.stream_helpers import case_events, case_of, cell_point, post_report

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 9, 30, 10, 0, tzinfo=CST)


@pytest.fixture(scope="module")
def cells(engine, demo_rules) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT c.code FROM grid_cell c JOIN grid_version v ON v.id = c.version_id "
                    "AND v.valid_to IS NULL WHERE c.code LIKE '330211016%' ORDER BY c.code"
                )
            ).scalars()
        )


@pytest.fixture()
def router(engine, config):
    reference = ReferenceCache(config)
    return reference, make_batch_router(engine, reference, lambda: NOW)


def captured(engine, report: dict) -> Event:
    """The report's ReportCaptured event as the router receives it from Kafka."""
    return captured_event(engine, report["id"])


def test_reports_of_one_batch_are_merged_into_a_case_of_the_same_batch(
    api, engine, worker_headers, cells, router
):
    _, route = router
    lat, lng = cell_point(engine, cells[0])
    # 102002 (pothole) merges within 50 m: ~11 m and ~22 m from the first, and one far away.
    reports = [
        post_report(api, worker_headers, (lat, lng), "102002"),
        post_report(api, worker_headers, (lat + 0.0001, lng), "102002"),
        post_report(api, worker_headers, (lat, lng + 0.0002), "102002"),
        post_report(api, worker_headers, cell_point(engine, cells[5]), "102002"),
    ]
    events = [captured(engine, r) for r in reports]
    # The second delivery of an event in the same poll is not applied twice.
    assert route([*events, events[1]]) == []
    first, second, third, far = (case_of(engine, r["id"]) for r in reports)
    assert first["state"] == "dispatched" and first["duplicate_count"] == 2
    assert (second["state"], second["merged_into"]) == ("merged", first["id"])
    assert (third["state"], third["merged_into"]) == ("merged", first["id"])
    assert far["state"] == "dispatched" and far["duplicate_count"] == 0
    assert [e["type"] for e in case_events(engine, second["id"])] == ["CaseMerged"]
    assert [e["type"] for e in case_events(engine, first["id"])] == [
        "CaseRegistered",
        "CaseDispatched",
    ]

    # A later batch merges into the stored case; a replay of the whole batch changes nothing.
    later = post_report(api, worker_headers, (lat - 0.0001, lng), "102002")
    assert route([captured(engine, later), *events]) == []
    assert case_of(engine, later["id"])["merged_into"] == first["id"]
    assert case_of(engine, reports[0]["id"])["duplicate_count"] == 3
    with engine.connect() as conn:
        cases = conn.execute(
            text("SELECT count(*) FROM case_file WHERE report_id = ANY(CAST(:r AS uuid[]))"),
            {"r": [r["id"] for r in [*reports, later]]},
        ).scalar_one()
    assert cases == 5


def test_the_nearest_open_case_wins_and_a_merged_one_is_never_a_target(
    api, engine, worker_headers, cells, router
):
    _, route = router
    lat, lng = cell_point(engine, cells[10])
    # a ← b (~33 m), c is ~33 m from b but ~67 m from a: b is merged, so c gets its own case.
    a = post_report(api, worker_headers, (lat, lng), "102002")
    b = post_report(api, worker_headers, (lat + 0.0003, lng), "102002")
    c = post_report(api, worker_headers, (lat + 0.0006, lng), "102002")
    # d lies ~11 m from c and ~78 m from a: it joins c, the nearest open case.
    d = post_report(api, worker_headers, (lat + 0.0007, lng), "102002")
    assert route([captured(engine, r) for r in (a, b, c, d)]) == []
    case_a, case_b, case_c, case_d = (case_of(engine, r["id"]) for r in (a, b, c, d))
    assert case_b["merged_into"] == case_a["id"]
    assert case_c["state"] == "dispatched"
    assert case_d["merged_into"] == case_c["id"]
    assert (case_a["duplicate_count"], case_c["duplicate_count"]) == (1, 1)


def test_a_poison_event_is_refused_and_the_rest_of_the_batch_applied(
    api, engine, worker_headers, cells, router
):
    _, route = router
    good = captured(
        engine, post_report(api, worker_headers, cell_point(engine, cells[20]), "104001")
    )
    unknown_category = replace(good, event_id=uuid.uuid4(),
                               payload={**good.payload, "category_code": "999999"})  # fmt: skip
    unknown_report = replace(good, event_id=uuid.uuid4(),
                             payload={**good.payload, "report_id": str(uuid.uuid4())})  # fmt: skip
    wrong_type = replace(good, event_id=uuid.uuid4(), type="SomethingElse")
    refused = route([unknown_category, good, unknown_report, wrong_type])
    assert {e.event_id: reason.split(":")[0] for e, reason in refused} == {
        unknown_category.event_id: "category_code",
        unknown_report.event_id: "report_id",
        wrong_type.event_id: "the router does not handle 'SomethingElse' events",
    }
    assert case_of(engine, good.payload["report_id"])["state"] == "dispatched"
    with engine.connect() as conn:
        claimed = conn.execute(
            text("SELECT count(*) FROM processed_event WHERE event_id = ANY(CAST(:e AS uuid[]))"),
            {"e": [unknown_category.event_id, unknown_report.event_id, wrong_type.event_id]},
        ).scalar_one()
    assert claimed == 0


def test_rule_changes_reach_a_running_router(api, engine, worker_headers, cells, router):
    reference, route = router
    street = "330211016"

    def routed(cell: str) -> str:
        report = post_report(api, worker_headers, cell_point(engine, cell), "104001")
        assert route([captured(engine, report)]) == []
        return case_of(engine, report["id"])["department_code"]

    assert routed(cells[30]) == "greening"
    loads = reference.loads
    assert routed(cells[31]) == "greening"
    assert reference.loads == loads  # nothing changed: nothing re-read

    with UnitOfWork(engine) as uow:
        version = add_rule(uow, RuleSpec("104001", street, "sanitation"), actor="test")
        uow.commit()
    try:
        assert routed(cells[32]) == "sanitation"
        # A rule written behind the application's back (no new ruleset version) counts too.
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO routing_rule (ruleset_version, category_code, "
                    "jurisdiction_code, department_code) VALUES (:v, '104001', :c, 'water')"
                ),
                {"v": version, "c": cells[33]},
            )
        assert routed(cells[33]) == "water"
        assert routed(cells[34]) == "sanitation"
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM routing_rule WHERE jurisdiction_code = :c"),
                         {"c": cells[33]})  # fmt: skip
        with UnitOfWork(engine) as uow:
            rule_id = uow.conn.execute(
                text("SELECT id FROM routing_rule WHERE active AND jurisdiction_code = :s"),
                {"s": street},
            ).scalar_one()
            remove_rule(uow, rule_id, actor="test")
            uow.commit()
    assert routed(cells[35]) == "greening"


def test_a_batch_costs_the_same_statements_whatever_its_size(
    api, engine, worker_headers, cells, router
):
    _, route = router
    assert route([]) == []  # the reference data is read once, before
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def batch_statements(first_cell: int, size: int) -> int:
        reports = [
            post_report(
                api, worker_headers, cell_point(engine, cells[first_cell + 2 * i]), "203001"
            )
            for i in range(size)
        ]
        events = [captured(engine, r) for r in reports]
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert route(events) == []
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert all(case_of(engine, r["id"])["state"] == "dispatched" for r in reports)
        return len(statements)

    assert batch_statements(40, 2) == batch_statements(50, 12)


def test_two_lanes_register_a_mixed_batch_as_one_unit_of_work_would(
    api, engine, worker_headers, cells, config
):
    route = make_batch_router(engine, ReferenceCache(config), lambda: NOW, lanes=2, min_per_lane=1)
    writers: set[int] = set()

    def case_writer(conn, cursor, statement, *args):
        if statement.startswith("INSERT INTO case_file"):
            writers.add(cursor.connection.info.backend_pid)

    lat, lng = cell_point(engine, cells[80])
    qlat, qlng = cell_point(engine, cells[100])
    # Potholes (102002, 50 m): p1 ~11 m from p0, p2 far; litter (104001, 30 m): q1 ~11 m from q0.
    p0 = post_report(api, worker_headers, (lat, lng), "102002")
    q0 = post_report(api, worker_headers, (qlat, qlng), "104001")
    p1 = post_report(api, worker_headers, (lat + 0.0001, lng), "102002")
    q1 = post_report(api, worker_headers, (qlat + 0.0001, qlng), "104001")
    p2 = post_report(api, worker_headers, cell_point(engine, cells[90]), "102002")
    r0 = post_report(api, worker_headers, cell_point(engine, cells[110]), "203001")
    events = [captured(engine, r) for r in (p0, q0, p1, q1, p2, r0)]
    unknown = replace(events[0], event_id=uuid.uuid4(),
                      payload={**events[0].payload, "category_code": "999999"})  # fmt: skip
    event.listen(engine, "before_cursor_execute", case_writer)
    try:
        refused = route([*events[:3], unknown, *events[3:], events[2]])
    finally:
        event.remove(engine, "before_cursor_execute", case_writer)
    assert [(e.event_id, reason.split(":")[0]) for e, reason in refused] == [
        (unknown.event_id, "category_code")
    ]
    assert len(writers) == 2  # the categories were registered by two units of work
    case = {name: case_of(engine, r["id"]) for name, r in
            {"p0": p0, "q0": q0, "p1": p1, "q1": q1, "p2": p2, "r0": r0}.items()}  # fmt: skip
    assert (case["p1"]["state"], case["p1"]["merged_into"]) == ("merged", case["p0"]["id"])
    assert (case["q1"]["state"], case["q1"]["merged_into"]) == ("merged", case["q0"]["id"])
    for name in ("p0", "q0", "p2", "r0"):
        assert case[name]["state"] == "dispatched", name
    assert (case["p0"]["duplicate_count"], case["q0"]["duplicate_count"]) == (1, 1)

    # A replay of the batch, also side by side, changes nothing.
    assert route(events) == []
    with engine.connect() as conn:
        counts = conn.execute(
            text(
                "SELECT count(*), (SELECT count(*) FROM case_event e JOIN case_file c "
                "ON c.id = e.case_id WHERE c.report_id = ANY(CAST(:r AS uuid[]))) "
                "FROM case_file WHERE report_id = ANY(CAST(:r AS uuid[]))"
            ),
            {"r": [r["id"] for r in (p0, q0, p1, q1, p2, r0)]},
        ).one()
    assert tuple(counts) == (6, 2 * 4 + 2)  # four registered and dispatched, two merged


def test_a_batch_smaller_than_two_lanes_worth_is_one_unit_of_work(
    api, engine, worker_headers, cells, config
):
    route = make_batch_router(engine, ReferenceCache(config), lambda: NOW, lanes=2)
    writers: set[int] = set()

    def case_writer(conn, cursor, statement, *args):
        if statement.startswith("INSERT INTO case_file"):
            writers.add(cursor.connection.info.backend_pid)

    reports = [
        post_report(api, worker_headers, cell_point(engine, cells[i]), category)
        for i, category in ((120, "102002"), (130, "104001"), (140, "203001"))
    ]
    event.listen(engine, "before_cursor_execute", case_writer)
    try:
        assert route([captured(engine, r) for r in reports]) == []
    finally:
        event.remove(engine, "before_cursor_execute", case_writer)
    assert len(writers) == 1
    assert all(case_of(engine, r["id"])["state"] == "dispatched" for r in reports)


def test_a_case_dispatched_at_once_has_its_facts_written_once(
    api, engine, owner_engine, worker_headers, cells, router
):
    """Its KPI facts hold the dispatch from the case's insert; the events' fold, which would
    set the same instant again, leaves the row alone (no second row version)."""
    _, route = router
    reports = [
        post_report(api, worker_headers, cell_point(engine, cells[147]), "102002"),
        post_report(api, worker_headers, cell_point(engine, cells[149]), "104001"),
    ]
    with owner_engine.begin() as conn:
        conn.execute(text("CREATE TABLE fact_rewrites (case_id uuid)"))
        conn.execute(
            text(
                "CREATE FUNCTION note_fact_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN INSERT INTO fact_rewrites VALUES (NEW.case_id); RETURN NULL; END $$"
            )
        )
        conn.execute(
            text(
                "CREATE TRIGGER fact_rewritten AFTER UPDATE ON case_fact FOR EACH ROW "
                "EXECUTE FUNCTION note_fact_rewrite()"
            )
        )
    try:
        assert route([captured(engine, r) for r in reports]) == []
        cases = [case_of(engine, r["id"]) for r in reports]
        with engine.connect() as conn:
            rewritten = conn.execute(text("SELECT count(*) FROM fact_rewrites")).scalar_one()
            facts = {
                row.case_id: row
                for row in conn.execute(
                    text(
                        "SELECT case_id, state, dispatched_at, acknowledged_at, ack_s "
                        "FROM case_fact WHERE case_id = ANY(:ids)"
                    ),
                    {"ids": [c["id"] for c in cases]},
                )
            }
    finally:
        with owner_engine.begin() as conn:
            conn.execute(
                text(
                    "DROP TRIGGER fact_rewritten ON case_fact; "
                    "DROP FUNCTION note_fact_rewrite(); DROP TABLE fact_rewrites"
                )
            )
    assert [c["state"] for c in cases] == ["dispatched", "dispatched"], cases
    assert rewritten == 0
    for case in cases:
        dispatched = [e for e in case_events(engine, case["id"]) if e["type"] == "CaseDispatched"]
        fact = facts[case["id"]]
        assert (fact.state, fact.dispatched_at) == ("dispatched", dispatched[0]["at"])
        assert fact.dispatched_at == case["dispatched_at"] == NOW
        assert fact.acknowledged_at is None and fact.ack_s is None
