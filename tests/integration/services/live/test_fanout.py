"""The fan-out: each case event and worker position reaches exactly the clients whose scope
covers it, through every server process, and a client that reconnects gets what it missed."""

from __future__ import annotations

import time

import pytest

from tests.integration.services.live.clients import snapshot_cases
from tests.processes import start_server


def test_operator_of_one_street_never_receives_another_streets_events(
    connect, token_of, writer, cells
):
    street_a, street_b = cells[0].street, cells[-1].street
    assert street_a != street_b
    _, token_a, _ = token_of("operator", jurisdiction=street_a)
    _, token_b, _ = token_of("operator", jurisdiction=street_b)
    _, token_district, _ = token_of("operator", jurisdiction=cells[0].district)
    a, b, district = connect(token_a), connect(token_b), connect(token_district)
    for client in (a, b, district):
        client.wait_for("snapshot")

    in_a = writer.new_case(cells[0].code)
    in_b = writer.new_case(cells[-1].code)

    of = lambda case_id: lambda m: m["case"]["id"] == case_id  # noqa: E731
    a.wait_for("case_event", of(in_a), timeout_s=2)
    b.wait_for("case_event", of(in_b), timeout_s=2)
    district.wait_for("case_event", of(in_a), timeout_s=2)
    district.wait_for("case_event", of(in_b), timeout_s=2)
    time.sleep(0.5)  # anything wrongly routed would have arrived with the right ones
    assert {m["case"]["street_code"] for m in a.messages("case_event")} == {street_a}
    assert {m["case"]["street_code"] for m in b.messages("case_event")} == {street_b}
    assert in_b not in {c["id"] for c in snapshot_cases(a.wait_for("snapshot"))}


def test_department_staff_receive_only_their_departments_cases(connect, token_of, writer, cells):
    _, sanitation, _ = token_of("department_staff", department="sanitation")
    _, greening, _ = token_of("department_staff", department="greening")
    san, green = connect(sanitation), connect(greening)
    san.wait_for("snapshot")
    green.wait_for("snapshot")

    ours = writer.new_case(cells[1].code, department="sanitation")
    theirs = writer.new_case(cells[2].code, department="greening")
    writer.event(ours, "CaseAcknowledged", department_code="sanitation")

    san.wait_for("case_event", lambda m: m["type"] == "CaseAcknowledged", timeout_s=2)
    green.wait_for("case_event", lambda m: m["case"]["id"] == theirs, timeout_s=2)
    time.sleep(0.5)
    assert {m["case"]["id"] for m in san.messages("case_event")} == {ours}
    assert {m["case"]["id"] for m in green.messages("case_event")} == {theirs}
    assert san.messages("case_event")[-1]["case"]["state"] == "acknowledged"


def test_worker_positions_reach_their_streets_operators_only(connect, token_of, writer, cells):
    worker_id, _, _ = token_of("grid_worker", cells=(cells[0].code,))
    _, token_a, _ = token_of("operator", jurisdiction=cells[0].street)
    _, token_b, _ = token_of("operator", jurisdiction=cells[-1].street)
    a, b = connect(token_a), connect(token_b)
    a.wait_for("snapshot")
    b.wait_for("snapshot")

    writer.pings(worker_id, cells[0].lat, cells[0].lng)

    seen = a.wait_for("worker_position", lambda p: p["worker_id"] == worker_id, timeout_s=2)
    assert seen["lat"] == pytest.approx(cells[0].lat)
    time.sleep(0.5)
    assert not b.messages("worker_position")
    # A page opened later gets the position in its snapshot.
    later = connect(token_a).wait_for("snapshot")
    assert worker_id in {w["worker_id"] for w in later["workers"]}


def test_reconnect_with_the_last_event_id_replays_what_was_missed(connect, token_of, writer, cells):
    _, token, _ = token_of("operator", jurisdiction=cells[3].street)
    first = connect(token)
    first.wait_for("snapshot")
    case_id = writer.new_case(cells[3].code)
    dispatched = first.wait_for(
        "case_event",
        lambda m: m["case"]["id"] == case_id and m["type"] == "CaseDispatched",
        timeout_s=2,
    )
    last_seen = max(first.case_event_ids())
    first.close()

    missed = [
        writer.event(case_id, "CaseAcknowledged", department_code="sanitation"),
        writer.event(case_id, "CaseResolved", department_code="sanitation"),
    ]
    again = connect(token, last_event_id=last_seen)
    snapshot = again.wait_for("snapshot")
    assert snapshot["events"] == [], "a reconnecting page has its history already"
    assert {c["id"]: c["state"] for c in snapshot_cases(snapshot)}[case_id] == "resolved"
    replay = again.wait_for("replay")
    assert replay["after"] == last_seen, "the cursor it answers (reaching below it by time)"
    assert replay["more"] is False and replay["cut"] is False, "all of it, in one packet"
    ids = [m["id"] for m in replay["events"]]
    assert set(missed) <= set(ids)
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    assert dispatched["id"] <= last_seen


def test_a_first_connect_is_replayed_only_what_came_after_its_snapshot(
    connect, token_of, writer, cells
):
    _, token, _ = token_of("operator", jurisdiction=cells[3].street)
    case_id = writer.new_case(cells[3].code)
    client = connect(token)
    snapshot = client.wait_for("snapshot")
    recent = [m["id"] for m in snapshot["events"] if m["case"]["id"] == case_id]
    assert len(recent) == 2 and max(recent) <= snapshot["last_event_id"]
    replay = client.wait_for("replay")
    assert replay["after"] == snapshot["last_event_id"]
    assert all(m["id"] > snapshot["last_event_id"] for m in replay["events"])


def test_every_server_process_fans_out_to_its_own_clients(
    live_config, connect, token_of, writer, cells
):
    other, other_url = start_server("live-serve-2", live_config)
    try:
        _, token, _ = token_of("operator", jurisdiction=cells[4].street)
        here, there = connect(token), connect(token, url=other_url)
        here.wait_for("snapshot")
        there.wait_for("snapshot")
        case_id = writer.new_case(cells[4].code)
        for client in (here, there):
            client.wait_for("case_event", lambda m: m["case"]["id"] == case_id, timeout_s=2)
    finally:
        other.stop()
