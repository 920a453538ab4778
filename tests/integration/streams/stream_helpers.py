"""Helpers of the stream processor tests: read a whole topic, wait for a condition."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from kafka import KafkaConsumer, TopicPartition

from services.config import Config
from services.envelopes import topic_name


def read_topic(config: Config, logical: str, *, timeout_s: float = 30.0) -> list[tuple]:
    """Every record now on a logical topic, from offset 0 of each partition, as
    (key, decoded JSON value or raw bytes, partition, offset) in partition/offset order."""
    consumer = KafkaConsumer(
        bootstrap_servers=config.kafka_bootstrap_servers.split(","),
        enable_auto_commit=False,
        group_id=None,
    )
    try:
        name = topic_name(config.topic_prefix, logical)
        partitions = consumer.partitions_for_topic(name) or set()
        tps = [TopicPartition(name, p) for p in sorted(partitions)]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        out = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if all(consumer.position(tp) >= end[tp] for tp in tps):
                break
            for records in consumer.poll(timeout_ms=300).values():
                for r in records:
                    try:
                        value = json.loads(r.value)
                    except ValueError:
                        value = r.value
                    key = r.key.decode() if r.key is not None else None
                    out.append((key, value, r.partition, r.offset))
        out.sort(key=lambda x: (x[2], x[3]))
        return out
    finally:
        consumer.close()


def wait_until(predicate: Callable[[], object], timeout_s: float = 60.0, step_s: float = 0.2):
    """Polls `predicate` until it returns something truthy; fails the test on timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step_s)
    raise AssertionError(f"condition not met within {timeout_s} s")


def cell_point(engine, code: str) -> tuple[float, float]:
    """(lat, lng) of a point well inside the current cell `code`."""
    from sqlalchemy import text

    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT ST_Y(ST_PointOnSurface(c.geom)), ST_X(ST_PointOnSurface(c.geom)) "
                "FROM grid_cell c JOIN grid_version v ON v.id = c.version_id "
                "AND v.valid_to IS NULL WHERE c.code = :code"
            ),
            {"code": code},
        ).one()
    return row[0], row[1]


def post_report(api, headers, point, category: str, **changes) -> dict:
    """POSTs a grid worker's report at `point` (lat, lng); returns the created report."""
    import uuid
    from datetime import UTC, datetime, timedelta

    body = {
        "id": str(uuid.uuid4()),
        "category": category,
        "description": "巡查发现",
        "location": {"lat": point[0], "lng": point[1], "crs": "wgs84", "accuracy_m": 5.0},
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
    }
    body.update(changes)
    resp = api.post("/api/v1/reports", json=body, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def case_of(engine, report_id: str):
    """The case_file row of a report (a mapping), or None."""
    from sqlalchemy import text

    with engine.connect() as conn:
        return (
            conn.execute(text("SELECT * FROM case_file WHERE report_id = :r"), {"r": report_id})
            .mappings()
            .first()
        )


def case_events(engine, case_id) -> list:
    from sqlalchemy import text

    with engine.connect() as conn:
        return (
            conn.execute(
                text("SELECT * FROM case_event WHERE case_id = :c ORDER BY id"), {"c": case_id}
            )
            .mappings()
            .all()
        )
