"""GET /healthz against the real PostgreSQL and Kafka, and against dead ones."""

import socket
import time


def test_healthz_reports_both_services_ok(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"database": "ok", "kafka": "ok"}


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_healthz_names_kafka_when_the_broker_does_not_answer(config, make_app):
    app = make_app(config.with_(kafka_bootstrap_servers=f"127.0.0.1:{_dead_port()}"))
    started = time.monotonic()
    resp = app.test_client().get("/healthz")
    assert time.monotonic() - started < 2.0
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["database"] == "ok"
    assert body["kafka"] != "ok"


def test_healthz_answers_within_two_seconds_when_a_broker_hangs(config, make_app):
    # A listener that accepts connections but never speaks: the probe must give up in time.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        port = silent.getsockname()[1]
        app = make_app(config.with_(kafka_bootstrap_servers=f"127.0.0.1:{port}"))
        started = time.monotonic()
        resp = app.test_client().get("/healthz")
        assert time.monotonic() - started < 2.0
        assert resp.status_code == 503
        assert "kafka" in resp.get_json() and resp.get_json()["kafka"] != "ok"
    finally:
        silent.close()


def test_healthz_names_the_database_when_postgres_does_not_answer(config, make_app):
    from sqlalchemy.engine import make_url

    dead = make_url(config.database_url).set(port=_dead_port()).render_as_string(False)
    app = make_app(config.with_(database_url=dead))
    started = time.monotonic()
    resp = app.test_client().get("/healthz")
    assert time.monotonic() - started < 2.0
    assert resp.status_code == 503
    assert resp.get_json()["kafka"] == "ok"
    assert resp.get_json()["database"] != "ok"


def test_index_page_is_served(client):
    resp = client.get("/")
    assert resp.status_code == 200
    assert "gridflow" in resp.get_data(as_text=True)


def test_healthz_names_kafka_within_two_seconds_after_the_broker_is_killed(
    config, make_app, tmp_path
):
    from tests.integration.streams.private_broker import PrivateBroker

    broker = PrivateBroker(tmp_path / "kafka")
    broker.start()
    try:
        client = make_app(config.with_(kafka_bootstrap_servers=broker.bootstrap)).test_client()
        assert client.get("/healthz").get_json() == {"database": "ok", "kafka": "ok"}
        broker.kill()
        started = time.monotonic()
        resp = client.get("/healthz")
        assert time.monotonic() - started < 2.0
        assert resp.status_code == 503
        assert resp.get_json()["database"] == "ok"
        assert resp.get_json()["kafka"] != "ok"
    finally:
        broker.stop()


def test_health_answers_never_carry_a_clients_error_text(config, make_app):
    dead = f"127.0.0.1:{_dead_port()}"
    app = make_app(config.with_(kafka_bootstrap_servers=dead))
    body = app.test_client().get("/healthz").get_json()
    assert body == {"database": "ok", "kafka": "unavailable"}


def test_liveness_and_readiness_survive_a_broker_outage(config, make_app):
    from sqlalchemy.engine import make_url

    client = make_app(config.with_(kafka_bootstrap_servers=f"127.0.0.1:{_dead_port()}"))
    client = client.test_client()
    assert client.get("/livez").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"database": "ok", "kafka": "unavailable"}
    dead = make_url(config.database_url).set(port=_dead_port()).render_as_string(False)
    no_db = make_app(config.with_(database_url=dead)).test_client()
    assert no_db.get("/livez").status_code == 200
    assert no_db.get("/readyz").status_code == 503


def test_metrics_are_not_public_in_production(config, make_app):
    app = make_app(config.with_(env="production", metrics_token=""))
    refused = app.test_client().get("/metrics")
    assert refused.status_code == 403
    assert "GRIDFLOW_METRICS_TOKEN" in refused.get_json()["error"]["message"]
    app = make_app(config.with_(env="production", metrics_token="scrape-secret-123"))
    ok = app.test_client().get("/metrics", headers={"Authorization": "Bearer scrape-secret-123"})
    assert ok.status_code == 200
