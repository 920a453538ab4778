"""Messages the router cannot parse or apply go to the dead-letter topic with the reason; the
stream goes on with the next good one."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime

from services.envelopes import DEAD_LETTER, REPORTS, envelope, topic_name
from services.store.db import make_engine
from streams.kafka import make_producer
from streams.relay import OutboxRelay
from streams.router import run_router
from tests.integration.streams.stream_helpers import (
    case_of,
    cell_point,
    post_report,
    read_topic,
    wait_until,
)


def _letters(config, marker: str) -> list[dict]:
    return [
        r[1]["payload"]
        for r in read_topic(config, DEAD_LETTER)
        if isinstance(r[1], dict) and marker in (r[1]["payload"].get("value") or "")
    ]


def test_malformed_messages_are_dead_lettered_and_the_next_report_is_processed(
    topics, api, engine, worker_headers, background
):
    config = topics
    marker = uuid.uuid4().hex
    key = "330211009006001"
    unknown_report = str(uuid.uuid4())
    bad = [
        f"not json {marker}".encode(),
        json.dumps({"note": marker}).encode(),
        json.dumps(envelope("ReportCaptured", {"case_no": marker})).encode(),
        json.dumps(
            envelope(
                "ReportCaptured",
                {
                    "report_id": unknown_report,
                    "case_no": marker,
                    "category_code": "201001",
                    "received_at": datetime.now(UTC).isoformat(),
                },
            )
        ).encode(),
        json.dumps(envelope("ReportEdited", {"case_no": marker})).encode(),
    ]
    producer = make_producer(config, client_id="test-dead-letter")
    try:
        for value in bad:
            producer.send(topic_name(config.topic_prefix, REPORTS), key=key, value=value)
        producer.flush(timeout=30)
    finally:
        producer.close(timeout=5)
    # A good report in the same cell, hence the same partition, after the bad ones.
    good = post_report(api, worker_headers, cell_point(engine, key), "104002")

    def run_relay(stop: threading.Event) -> None:
        own = make_engine(config.database_url, pool_size=2)
        try:
            OutboxRelay(config, own, stop).run()
        finally:
            own.dispose()

    background(run_relay)
    background(lambda stop: run_router(config, stop))

    case = wait_until(lambda: case_of(engine, good["id"]), timeout_s=120)
    assert case["state"] == "dispatched"

    def all_letters():
        letters = _letters(config, marker)
        return letters if len(letters) == len(bad) else None

    letters = wait_until(all_letters)
    reasons = [letter["reason"] for letter in letters]
    assert reasons[0].startswith("not a JSON envelope")
    assert reasons[1] == "envelope lacks event_id, type, occurred_at, schema_version, payload"
    assert reasons[2] == "report_id: required"
    assert reasons[3] == f"report_id: no report {unknown_report}"
    assert reasons[4] == "the router does not handle 'ReportEdited' events"
    for letter in letters:
        assert letter["consumer"] == "router"
        assert letter["source_topic"] == topic_name(config.topic_prefix, REPORTS)
        assert letter["key"] == key
        assert isinstance(letter["offset"], int)
    assert case_of(engine, unknown_report) is None
