"""The router counts due times on the official calendar with the admin's overrides applied."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from streams.relay import OutboxRelay
from streams.router import run_router
from tests.integration.streams.stream_helpers import case_of, cell_point, post_report, wait_until

CST = ZoneInfo("Asia/Shanghai")
# Friday 2025-09-19 is a working day on the official calendar; the override makes it a day off.
DAY_OFF = "2025-09-19"


@pytest.fixture()
def day_off(engine):
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO calendar_override (day, working, note, updated_by) "
                "VALUES (:d, false, '台风停工', 'test')"
            ),
            {"d": DAY_OFF},
        )
    yield
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM calendar_override WHERE day = :d"), {"d": DAY_OFF})


def test_an_override_day_off_is_skipped_by_the_routers_due_times(
    topics, demo_rules, day_off, api, engine, worker_headers
):
    from services.store.db import make_engine

    pinned = datetime(2025, 9, 18, 16, 0, tzinfo=CST)  # Thursday 16:00
    stop = threading.Event()
    relay_engine = make_engine(topics.database_url, pool_size=2)
    threads = [
        threading.Thread(target=OutboxRelay(topics, relay_engine, stop).run, daemon=True),
        threading.Thread(
            target=run_router,
            args=(topics, stop),
            kwargs={"clock": lambda: pinned, "group": f"overrides-{uuid.uuid4().hex[:8]}"},
            daemon=True,
        ),
    ]
    for thread in threads:
        thread.start()
    try:
        # Illegal construction: 4 working hours. 1.5 h on Thursday, Friday is off by override,
        # the weekend is off: the remaining 2.5 h fall on Monday 22 September, 08:30–11:00.
        report = post_report(api, worker_headers, cell_point(engine, "330211009002001"), "203001")
        case = wait_until(lambda: case_of(engine, report["id"]), timeout_s=90)
        assert case["state"] == "dispatched"
        assert case["resolve_due"] == datetime(2025, 9, 22, 11, 0, tzinfo=CST)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        relay_engine.dispose()
