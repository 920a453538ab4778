"""The router is killed (SIGKILL) in the middle of a batch and restarted: every report still has
exactly one case, and replaying the topic from offset 0 changes nothing.

The router runs as the real `gridflow router` process, configured through GRIDFLOW_* variables.
"""

from __future__ import annotations

import threading
import time
import uuid

from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import text

from services.envelopes import DEAD_LETTER, REPORTS, topic_name
from services.store.db import make_engine
from streams.relay import OutboxRelay
from tests.integration.streams.stream_helpers import cell_point, post_report, read_topic, wait_until
from tests.processes import GridflowProcess

STREETS = ("330211008", "330211014")


def _cells(engine, count: int) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.code FROM grid_cell c JOIN grid_version v ON v.id = c.version_id "
                "AND v.valid_to IS NULL WHERE left(c.code, 9) = ANY(:streets) ORDER BY c.code"
            ),
            {"streets": list(STREETS)},
        ).all()
    return [r[0].strip() for r in rows][:count]


def _counts(engine, report_ids: list[str]) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(
            conn.execute(
                text(
                    "SELECT "
                    "(SELECT count(*) FROM case_file WHERE report_id::text = ANY(:ids)) AS cases, "
                    "(SELECT count(*) FROM case_file) AS all_cases, "
                    "(SELECT count(*) FROM case_event) AS events, "
                    "(SELECT count(*) FROM outbox) AS outbox, "
                    "(SELECT count(*) FROM processed_event) AS processed"
                ),
                {"ids": report_ids},
            )
            .mappings()
            .one()
        )


def _offsets(config, group: str) -> tuple[int, int]:
    """(sum of the group's committed offsets, sum of end offsets) on the reports topic."""
    consumer = KafkaConsumer(
        bootstrap_servers=config.kafka_bootstrap_servers.split(","),
        group_id=f"{config.topic_prefix}{group}",
        enable_auto_commit=False,
    )
    try:
        name = topic_name(config.topic_prefix, REPORTS)
        tps = [TopicPartition(name, p) for p in sorted(consumer.partitions_for_topic(name))]
        committed = sum(consumer.committed(tp) or 0 for tp in tps)
        end = sum(consumer.end_offsets(tps).values())
        return committed, end
    finally:
        consumer.close()


def test_router_killed_mid_batch_then_replayed_from_zero_keeps_one_case_per_report(
    topics, api, engine, worker_headers, background
):
    config = topics
    cells = _cells(engine, 240)
    assert len(cells) == 240

    # Publish everything first, so the router meets a long backlog.
    def run_relay(stop: threading.Event) -> None:
        own = make_engine(config.database_url, pool_size=2)
        try:
            OutboxRelay(config, own, stop).run()
        finally:
            own.dispose()

    background(run_relay)
    reports = [post_report(api, worker_headers, cell_point(engine, c), "203003") for c in cells]
    ids = [r["id"] for r in reports]

    def all_published():
        with engine.connect() as conn:
            return not conn.execute(
                text(
                    "SELECT 1 FROM outbox WHERE sent_at IS NULL AND topic = :t "
                    "AND envelope->'payload'->>'report_id' = ANY(:ids) LIMIT 1"
                ),
                {"t": REPORTS, "ids": ids},
            ).first()

    wait_until(all_published, timeout_s=120)

    # Polls of up to 200 records applied 20 at a time (a transaction each): the kill lands after
    # some of a poll's transactions committed and before the poll's offsets are.
    crashing = config.with_(router_batch_size=20)
    router = GridflowProcess("router-crash-1", ["router", "--log-level", "WARNING"], crashing)
    try:
        wait_until(lambda: _counts(engine, ids)["cases"] >= 15, timeout_s=120, step_s=0.01)
        router.kill()
    finally:
        router.stop()
    done = _counts(engine, ids)["cases"]
    committed, end = _offsets(config, "router")
    assert done < len(ids), "the router was killed after the whole backlog; nothing was tested"
    # Records applied but not committed: the restarted router gets them again.
    assert end - committed > len(ids) - done

    restarted = GridflowProcess("router-crash-2", ["router"], config)
    try:
        wait_until(lambda: _counts(engine, ids)["cases"] == len(ids), timeout_s=180)
        wait_until(lambda: _offsets(config, "router")[0] == _offsets(config, "router")[1], 60)
    finally:
        assert restarted.stop() == 0, restarted.output()[-3000:]

    with engine.connect() as conn:
        per_report = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE n <> 1) FROM (SELECT r.id, count(c.id) AS n "
                "FROM report r LEFT JOIN case_file c ON c.report_id = r.id "
                "WHERE r.id::text = ANY(:ids) GROUP BY r.id) t"
            ),
            {"ids": ids},
        ).scalar_one()
        events = conn.execute(
            text(
                "SELECT e.type, count(*) FROM case_event e JOIN case_file c ON c.id = e.case_id "
                "WHERE c.report_id::text = ANY(:ids) GROUP BY e.type"
            ),
            {"ids": ids},
        ).all()
    assert per_report == 0
    assert dict(events) == {"CaseRegistered": len(ids), "CaseDispatched": len(ids)}

    # Replay the whole topic from offset 0 in a new consumer group.
    before = _counts(engine, ids)
    group = f"replay-{uuid.uuid4().hex[:8]}"
    replay = GridflowProcess("router-replay", ["router", "--group", group], config)
    try:
        wait_until(lambda: _offsets(config, group)[0] == _offsets(config, group)[1], 180)
        time.sleep(1)
    finally:
        assert replay.stop() == 0, replay.output()[-3000:]
    assert _counts(engine, ids) == before
    with engine.connect() as conn:
        event_ids = {
            str(r[0])
            for r in conn.execute(
                text(
                    "SELECT event_id FROM outbox WHERE topic = :t "
                    "AND envelope->'payload'->>'report_id' = ANY(:ids)"
                ),
                {"t": REPORTS, "ids": ids},
            )
        }
    assert len(event_ids) == len(ids)
    letters = [
        r for r in read_topic(config, DEAD_LETTER)
        if isinstance(r[1], dict) and r[1]["payload"].get("event_id") in event_ids
    ]  # fmt: skip
    assert letters == []


def test_two_routers_in_one_group_register_each_report_once(
    topics, api, engine, worker_headers, background
):
    from streams.router import run_router

    config = topics
    cells = _cells(engine, 400)[260:320]

    def run_relay(stop: threading.Event) -> None:
        own = make_engine(config.database_url, pool_size=2)
        try:
            OutboxRelay(config, own, stop).run()
        finally:
            own.dispose()

    background(run_relay)
    background(lambda stop: run_router(config, stop))
    ids = [post_report(api, worker_headers, cell_point(engine, c), "201003")["id"] for c in cells]
    # A second router joins the group while the first is working: the partitions are shared.
    background(lambda stop: run_router(config, stop))
    more = [post_report(api, worker_headers, cell_point(engine, c), "205002")["id"] for c in cells]
    everything = ids + more
    wait_until(lambda: _counts(engine, everything)["cases"] == len(everything), timeout_s=180)
    with engine.connect() as conn:
        registered = conn.execute(
            text(
                "SELECT count(*), count(DISTINCT c.id) FROM case_event e "
                "JOIN case_file c ON c.id = e.case_id "
                "WHERE e.type = 'CaseRegistered' AND c.report_id::text = ANY(:ids)"
            ),
            {"ids": everything},
        ).one()
    assert tuple(registered) == (len(everything), len(everything))
