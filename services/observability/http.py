"""The API's side of the metrics: a latency histogram per URL rule, `/metrics`, access logs.

Every request is timed and counted under its URL rule (`/api/v1/reports/<report_id>`, never the
concrete path, so the number of series stays bounded) and logged as one JSON line with the
report or case id it concerns, when the route or the Location of a created resource names one.
`/metrics` adds the outbox and open-case gauges of this app's database; with
`GRIDFLOW_METRICS_TOKEN` set it asks for `Authorization: Bearer <token>`.
"""

from __future__ import annotations

import hmac
import logging
import re
import time

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from services.api.errors import Unauthorized
from services.observability.metrics import HTTP_LATENCY, StoreCollector

access_log = logging.getLogger("gridflow.access")
CREATED = re.compile(r"/(reports|cases)/([0-9a-fA-F-]{36})")
ID_ARGS = {"report_id": "report_id", "case_id": "case_id"}


def init_http_metrics(app: Flask, *, token: str = "") -> None:
    """Times every request of `app` and serves `/metrics` (called by create_app)."""
    engine = app.extensions["gridflow"].engine
    store = CollectorRegistry(auto_describe=False)
    store.register(StoreCollector(engine, outbox=True, cases=True))

    @app.before_request
    def _start_timer() -> None:
        g.gridflow_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("gridflow_started", None)
        if started is None:
            return response
        elapsed = time.perf_counter() - started
        endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
        HTTP_LATENCY.labels(request.method, endpoint, str(response.status_code)).observe(elapsed)
        if endpoint != "/metrics":
            _log_request(endpoint, response, elapsed)
        return response

    def metrics() -> Response:
        if token:
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                raise Unauthorized("the metrics token is required")
        body = generate_latest(REGISTRY) + generate_latest(store)
        return Response(body, mimetype=CONTENT_TYPE_LATEST)

    app.add_url_rule("/metrics", "metrics", metrics, methods=["GET"])


def _log_request(endpoint: str, response: Response, elapsed: float) -> None:
    if not access_log.isEnabledFor(logging.INFO):
        return
    extra: dict[str, object] = {
        "method": request.method,
        "path": request.path,
        "endpoint": endpoint,
        "status": response.status_code,
        "duration_ms": round(elapsed * 1000, 2),
    }
    for arg, name in ID_ARGS.items():
        if request.view_args and arg in request.view_args:
            extra[name] = str(request.view_args[arg])
    created = CREATED.search(response.headers.get("Location") or "")
    if created:
        extra["report_id" if created.group(1) == "reports" else "case_id"] = created.group(2)
    access_log.info("%s %s %s", request.method, request.path, response.status_code, extra=extra)
