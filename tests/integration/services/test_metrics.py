"""The API's Prometheus metrics and JSON access log, through the real app and database."""

from __future__ import annotations

import json
import logging
import re
import uuid

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from services.store.outbox import enqueue
from tests.integration.services.accounts import signed_in


def scrape(client, headers=None) -> dict[tuple[str, tuple], float]:
    resp = client.get("/metrics", headers=headers or {})
    assert resp.status_code == 200, resp.data[:500]
    assert resp.content_type.startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(resp.get_data(as_text=True)):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples, name: str, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def test_request_latency_is_counted_per_route_not_per_path(client, engine):
    _, headers = signed_in(client, engine, "grid_worker", cells=("330211001001001",))
    before = scrape(client)
    missing = [uuid.uuid4() for _ in range(3)]
    for report_id in missing:
        assert client.get(f"/api/v1/reports/{report_id}", headers=headers).status_code == 404
    after = scrape(client)
    key = dict(method="GET", endpoint="/api/v1/reports/<uuid:report_id>", status="404")
    name = "gridflow_http_request_duration_seconds_count"
    assert (value(after, name, **key) or 0) - (value(before, name, **key) or 0) == 3
    # one series per URL rule: no concrete report id ever becomes a label
    assert not any(str(r) in str(labels) for (_, labels) in after for r in missing)
    endpoint = key["endpoint"]
    buckets = [
        v
        for (n, labels), v in after.items()
        if n.endswith("_bucket") and dict(labels).get("endpoint") == endpoint
    ]
    assert buckets and max(buckets) >= 3


def test_outbox_backlog_and_age_come_from_the_database(client, engine):
    before = value(scrape(client), "gridflow_outbox_backlog")
    assert before is not None
    with engine.begin() as conn:
        enqueue(conn, "reports.v1", "metrics-test", "MetricsProbe", {"n": 1})
        conn.execute(text("UPDATE outbox SET created_at = now() - interval '90 seconds' "
                          "WHERE key = 'metrics-test'"))  # fmt: skip
    try:
        after = scrape(client)
        assert value(after, "gridflow_outbox_backlog") == before + 1
        assert value(after, "gridflow_outbox_oldest_age_seconds") >= 90
        assert value(after, "gridflow_store_up") == 1
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM outbox WHERE key = 'metrics-test'"))


def test_open_and_overdue_cases_are_exposed(client):
    samples = scrape(client)
    states = {dict(labels)["state"] for (n, labels) in samples if n == "gridflow_cases_open"}
    assert {"dispatched", "acknowledged", "resolved"} <= states
    assert value(samples, "gridflow_cases_overdue") is not None


def test_metrics_token_is_required_when_configured(config, make_app):
    app = make_app(config.with_(metrics_token="scrape-secret"))
    client = app.test_client()
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "unauthorized"
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert scrape(client, {"Authorization": "Bearer scrape-secret"})


def test_access_log_line_names_the_report(client, engine, caplog):
    from services.observability.logs import JsonFormatter

    _, headers = signed_in(client, engine, "grid_worker", cells=("330211001001001",))
    report_id = uuid.uuid4()
    with caplog.at_level(logging.INFO, logger="gridflow.access"):
        client.get(f"/api/v1/reports/{report_id}", headers=headers)
    records = [r for r in caplog.records if r.name == "gridflow.access"]
    assert records
    line = json.loads(JsonFormatter().format(records[-1]))
    assert line["report_id"] == str(report_id)
    assert line["status"] == 404 and line["method"] == "GET"
    assert re.fullmatch(r"/api/v1/reports/[0-9a-f-]{36}", line["path"])
