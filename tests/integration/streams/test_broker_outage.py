"""Kafka goes down while reports keep arriving through the API; when it is back, every report
is dispatched exactly once. The outage is played on a private broker (the shared one stays up).
"""

from __future__ import annotations

import threading

from sqlalchemy import text

from services.store.db import make_engine
from streams.relay import OutboxRelay
from streams.router import run_router
from tests.integration.streams.stream_helpers import case_of, cell_point, post_report, wait_until

CELLS = [f"330211013{community:03d}{cell:03d}" for community in (1, 2) for cell in range(1, 9)]


def _dispatched_once(engine, report_ids: list[str]) -> bool:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.report_id::text, c.state, "
                "(SELECT count(*) FROM case_event e WHERE e.case_id = c.id "
                " AND e.type = 'CaseDispatched') AS dispatches "
                "FROM case_file c WHERE c.report_id::text = ANY(:ids)"
            ),
            {"ids": report_ids},
        ).all()
    return len(rows) == len(report_ids) and all(
        r.state == "dispatched" and r.dispatches == 1 for r in rows
    )


def test_reports_captured_while_kafka_is_down_are_dispatched_once_it_is_back(
    topics, api, engine, worker_headers, private_broker, background
):
    config = topics.with_(
        kafka_bootstrap_servers=private_broker.bootstrap, relay_poll_interval_s=0.5
    )
    relays: list[OutboxRelay] = []

    def run_relay(stop: threading.Event) -> None:
        own = make_engine(config.database_url, pool_size=2)
        try:
            relay = OutboxRelay(config, own, stop)
            relays.append(relay)
            relay.run()
        finally:
            own.dispose()

    background(run_relay)
    background(lambda stop: run_router(config, stop))

    points = [cell_point(engine, code) for code in CELLS]
    before = [post_report(api, worker_headers, p, "203002") for p in points[:4]]
    wait_until(lambda: _dispatched_once(engine, [r["id"] for r in before]), timeout_s=120)

    private_broker.stop()
    during = [post_report(api, worker_headers, p, "203002") for p in points[4:]]
    wait_until(lambda: relays[0].stats.failures > 0, timeout_s=60)
    assert all(case_of(engine, r["id"]) is None for r in during)

    private_broker.start()
    ids = [r["id"] for r in before + during]
    wait_until(lambda: _dispatched_once(engine, ids), timeout_s=180)
    with engine.connect() as conn:
        unsent = conn.execute(
            text(
                "SELECT count(*) FROM outbox WHERE sent_at IS NULL "
                "AND envelope->'payload'->>'report_id' = ANY(:ids)"
            ),
            {"ids": ids},
        ).scalar_one()
    assert unsent == 0
