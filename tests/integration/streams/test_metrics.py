"""The stream processors' metrics ports and JSON logs, on the real `gridflow relay` and
`gridflow router` processes."""

from __future__ import annotations

import json
import uuid

import requests
from kafka import KafkaProducer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from services.envelopes import REPORTS, topic_name
from tests.integration.streams.stream_helpers import case_of, cell_point, post_report, wait_until
from tests.processes import GridflowProcess, free_port


def scrape(port: int) -> dict[tuple[str, tuple], float]:
    resp = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert resp.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(resp.text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def total(samples, name: str, **labels) -> float:
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= set(ls))


def json_lines(process: GridflowProcess) -> list[dict]:
    lines = []
    for raw in process.output().splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))
    return lines


def test_relay_and_router_expose_metrics_and_log_the_case_and_report(
    topics, api, engine, worker_headers
):
    config = topics
    relay_port, router_port = free_port(), free_port()
    group = f"metrics-{uuid.uuid4().hex[:8]}"
    relay = GridflowProcess("metrics-relay", ["relay", "--metrics-port", str(relay_port)], config)
    router = GridflowProcess(
        "metrics-router", ["router", "--group", group, "--metrics-port", str(router_port)], config
    )
    try:
        relay.wait_for_port(relay_port)
        router.wait_for_port(router_port)
        report = post_report(api, worker_headers, cell_point(engine, "330211001001001"), "203003")
        case = wait_until(lambda: case_of(engine, report["id"]), timeout_s=60)

        relay_samples = wait_until(
            lambda: (s := scrape(relay_port)) and total(s, "gridflow_outbox_published_total") and s
        )
        assert ("gridflow_outbox_backlog", ()) in relay_samples
        assert ("gridflow_outbox_oldest_age_seconds", ()) in relay_samples
        assert total(relay_samples, "gridflow_store_up") == 1

        router_samples = wait_until(
            lambda: (
                (s := scrape(router_port))
                and total(s, "gridflow_events_processed_total", processor="router") >= 1
                and total(s, "gridflow_consumer_lag", processor="router") == 0
                and s
            ),
            timeout_s=60,
        )
        lag = [dict(ls) for (n, ls) in router_samples if n == "gridflow_consumer_lag"]
        reports_topic = topic_name(config.topic_prefix, REPORTS)
        assert {x["partition"] for x in lag if x["topic"] == reports_topic} == {
            str(p) for p in range(config.topic_partitions)
        }

        # A record that is not an envelope is dead-lettered, and counted.
        before = total(router_samples, "gridflow_events_dead_lettered_total", processor="router")
        producer = KafkaProducer(bootstrap_servers=config.kafka_bootstrap_servers.split(","))
        try:
            producer.send(reports_topic, key=b"metrics", value=b"not json").get(timeout=10)
        finally:
            producer.close()
        wait_until(
            lambda: total(scrape(router_port), "gridflow_events_dead_lettered_total",
                          processor="router") == before + 1,
            timeout_s=60,
        )  # fmt: skip

        logged = wait_until(
            lambda: [x for x in json_lines(router) if x.get("report_id") == report["id"]]
        )
        assert logged[0]["case_id"] == str(case["id"])
        assert all({"ts", "level", "logger", "msg"} <= set(x) for x in json_lines(router))
    finally:
        assert router.stop() == 0, router.output()[-3000:]
        assert relay.stop() == 0, relay.output()[-3000:]


def test_scheduler_exposes_open_and_overdue_cases(topics, engine):
    port = free_port()
    scheduler = GridflowProcess(
        "metrics-scheduler", ["scheduler", "--metrics-port", str(port)], topics
    )
    try:
        scheduler.wait_for_port(port)
        samples = scrape(port)
        assert total(samples, "gridflow_store_up") == 1
        with engine.connect() as conn:
            open_now = conn.execute(
                text("SELECT count(*) FROM case_file WHERE state = 'dispatched'")
            ).scalar_one()
        assert total(samples, "gridflow_cases_open", state="dispatched") == open_now
        assert ("gridflow_cases_overdue", ()) in samples
    finally:
        assert scheduler.stop() == 0, scheduler.output()[-3000:]
