"""Reports posted through the API become cases: API → outbox → relay → Kafka → router → cases.

A relay and a router run in this process on the real PostgreSQL and Kafka; the router's
clock is pinned so due times can be checked against China's official calendar of 2025:
National Day holidays 1–8 October, make-up working days Sunday 28 September and Saturday
11 October, office hours 08:30–12:00 and 13:30–17:30.
"""

from __future__ import annotations

import io
import json
import threading
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import text
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from services.envelopes import CASE_EVENTS
from streams.relay import OutboxRelay
from streams.router import run_router
from tests.integration.streams.stream_helpers import (
    case_events,
    case_of,
    cell_point,
    post_report,
    read_topic,
    wait_until,
)

CST = ZoneInfo("Asia/Shanghai")


class PinnedClock:
    """The router's clock, set by each test."""

    def __init__(self) -> None:
        self.now = datetime(2025, 9, 30, 16, 0, tzinfo=CST)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def clock():
    return PinnedClock()


@pytest.fixture(scope="module")
def pipeline(topics, demo_rules, clock):
    """A relay and a router running in threads for the whole module."""
    from services.store.db import make_engine

    stop = threading.Event()
    engine = make_engine(topics.database_url, pool_size=2)
    threads = [
        threading.Thread(target=OutboxRelay(topics, engine, stop).run, daemon=True),
        threading.Thread(
            target=run_router, args=(topics, stop), kwargs={"clock": clock}, daemon=True
        ),
    ]
    for thread in threads:
        thread.start()
    yield
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    engine.dispose()
    assert not any(t.is_alive() for t in threads)


def _case(engine, report):
    return wait_until(lambda: case_of(engine, report["id"]), timeout_s=90)


@pytest.mark.parametrize(
    ("category", "cell", "pinned", "ack_due", "resolve_due", "department"),
    [
        # 4 working hours from Friday 16:00: 1.5 h on Friday, Saturday off, then the make-up
        # working Sunday 28 September from 08:30.
        (
            "203001", "330211009001001", datetime(2025, 9, 26, 16, 0, tzinfo=CST),
            datetime(2025, 9, 26, 16, 10, tzinfo=CST), datetime(2025, 9, 28, 11, 0, tzinfo=CST),
            "law-enforcement",
        ),
        # 5 working days (37.5 h) from Tuesday 30 September 16:00: the National Day holidays
        # (1–8 October) and Sunday 12 October are skipped, Saturday 11 October (make-up) counts.
        (
            "102001", "330211009001002", datetime(2025, 9, 30, 16, 0, tzinfo=CST),
            datetime(2025, 9, 30, 16, 30, tzinfo=CST), datetime(2025, 10, 14, 16, 0, tzinfo=CST),
            "municipal-roads",
        ),
        # An around-the-clock category on a holiday: plain clock time.
        (
            "101001", "330211009001003", datetime(2025, 10, 1, 10, 0, tzinfo=CST),
            datetime(2025, 10, 1, 10, 10, tzinfo=CST), datetime(2025, 10, 1, 12, 0, tzinfo=CST),
            "water",
        ),
    ],
)  # fmt: skip
def test_a_posted_report_becomes_a_dispatched_case_with_due_times_in_working_time(
    pipeline, api, engine, worker_headers, clock,
    category, cell, pinned, ack_due, resolve_due, department,
):  # fmt: skip
    clock.now = pinned
    report = post_report(api, worker_headers, cell_point(engine, cell), category)
    case = _case(engine, report)
    assert case["state"] == "dispatched"
    assert case["department_code"] == department
    assert case["case_no"] == report["case_no"]
    assert case["cell_code"] == cell
    assert case["ack_due"] == ack_due
    assert case["resolve_due"] == resolve_due
    assert case["dispatched_at"] == pinned
    assert [e["type"] for e in case_events(engine, case["id"])] == [
        "CaseRegistered",
        "CaseDispatched",
    ]

    shown = api.get(f"/api/v1/reports/{report['id']}", headers=worker_headers).get_json()
    assert shown["status"] == "dispatched"
    assert shown["case"]["department_code"] == department
    assert datetime.fromisoformat(shown["case"]["ack_due"]) == ack_due
    assert datetime.fromisoformat(shown["case"]["resolve_due"]) == resolve_due


@pytest.mark.parametrize(
    ("category", "cell", "department", "why"),
    [
        ("206001", "330211007001001", "property-007001001", "cell rule beats community rule"),
        ("206003", "330211007001012", "community-007001", "community rule beats street rule"),
        ("206003", "330211007002012", "street-007", "street rule beats district rule"),
        ("206003", "330211009002012", "police", "district default elsewhere"),
    ],
)
def test_routing_takes_the_most_specific_rule(
    pipeline, api, engine, worker_headers, category, cell, department, why
):
    report = post_report(api, worker_headers, cell_point(engine, cell), category)
    case = _case(engine, report)
    assert (case["state"], case["department_code"]) == ("dispatched", department), why


def test_a_tampered_rule_never_hands_a_non_admitted_category_to_a_community(
    pipeline, api, engine, worker_headers
):
    # Behind the application's back: illegal construction (not on the committee's admission
    # list) routed to community committee 1-1 with the most specific jurisdiction there is.
    cell = "330211007001013"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO routing_rule (ruleset_version, category_code, jurisdiction_code, "
                "department_code, priority) SELECT max(id), '203001', :cell, "
                "'community-007001', 100 FROM ruleset_version"
            ),
            {"cell": cell},
        )
    try:
        report = post_report(api, worker_headers, cell_point(engine, cell), "203001")
        case = _case(engine, report)
        assert case["department_code"] == "law-enforcement"
        assert "community-007001" in case["route_reason"]
        assert "admission list" in case["route_reason"]
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("DELETE FROM routing_rule WHERE jurisdiction_code = :cell"), {"cell": cell}
            )


def test_a_duplicate_is_merged_into_the_open_case_and_not_dispatched_again(
    pipeline, api, engine, worker_headers
):
    lat, lng = cell_point(engine, "330211009003001")
    first = post_report(api, worker_headers, (lat, lng), "102002")
    original = _case(engine, first)
    # 102002 (pothole) merges within 50 m and two days; these are ~10 m and ~20 m away.
    second = post_report(api, worker_headers, (lat + 0.0001, lng), "102002")
    third = post_report(api, worker_headers, (lat, lng + 0.0002), "102002")
    far = post_report(api, worker_headers, cell_point(engine, "330211009003003"), "102002")
    for report in (second, third):
        merged = _case(engine, report)
        assert merged["state"] == "merged"
        assert merged["merged_into"] == original["id"]
        assert merged["department_code"] is None
        assert [e["type"] for e in case_events(engine, merged["id"])] == ["CaseMerged"]
    assert _case(engine, far)["state"] == "dispatched"
    assert case_of(engine, first["id"])["duplicate_count"] == 2
    dispatched = [e["type"] for e in case_events(engine, original["id"])].count("CaseDispatched")
    assert dispatched == 1


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(out, "JPEG")
    return out.getvalue()


def test_a_report_handled_on_the_spot_is_closed_at_once(pipeline, api, engine, worker_headers):
    lat, lng = cell_point(engine, "330211009004001")
    body = {
        "id": str(uuid.uuid4()),
        "category": "201002",
        "description": "路面清扫完毕",
        "location": {"lat": lat, "lng": lng, "crs": "wgs84"},
        "occurred_at": "2025-09-30T07:55:00+00:00",
        "handled_on_spot": True,
    }
    form = MultiDict(
        [
            ("report", json.dumps(body)),
            ("after_photo", FileStorage(io.BytesIO(_jpeg()), "after.jpg", "image/jpeg")),
        ]
    )
    boundary, data = encode_multipart(form)
    resp = api.post(
        "/api/v1/reports", data=data, headers=worker_headers,
        content_type=f"multipart/form-data; boundary={boundary}",
    )  # fmt: skip
    assert resp.status_code == 201, resp.get_json()
    case = _case(engine, body)
    assert case["state"] == "closed"
    assert case["department_code"] is None and case["closed_at"] is not None
    [closed] = case_events(engine, case["id"])
    assert closed["type"] == "CaseClosed" and closed["payload"]["how"] == "on_spot"


def test_case_events_are_published_keyed_by_case(pipeline, api, engine, worker_headers, topics):
    report = post_report(api, worker_headers, cell_point(engine, "330211009005001"), "104001")
    case = _case(engine, report)
    stored = case_events(engine, case["id"])
    assert len(stored) == 2

    def published():
        records = [r for r in read_topic(topics, CASE_EVENTS) if r[0] == str(case["id"])]
        return records if len(records) == 2 else None

    records = wait_until(published, timeout_s=60)
    assert [r[1]["type"] for r in records] == ["CaseRegistered", "CaseDispatched"]
    assert [r[1]["event_id"] for r in records] == [str(e["event_id"]) for e in stored]
    assert records[1][1]["payload"]["department_code"] == "greening"
    assert len({r[2] for r in records}) == 1
