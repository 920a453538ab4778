"""The API's side of the metrics: a latency histogram per URL rule, `/metrics`, access logs.

Every request is timed and counted under its URL rule (`/api/v1/reports/<report_id>`, never the
concrete path, so the number of series stays bounded) and logged as one JSON line with the
report or case id it concerns, when the route or the Location of a created resource names one.
`/metrics` adds the outbox and open-case gauges of this app's database; with
`GRIDFLOW_METRICS_TOKEN` set it asks for `Authorization: Bearer <token>`; in production it
is not served at all without one.
"""

from __future__ import annotations

import hmac
import logging
import re
import time

from flask import Flask, Request, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
)

from services.http.errors import Forbidden, Unauthorized
from services.observability.metrics import HTTP_LATENCY, ReplicaCollector, StoreCollector

access_log = logging.getLogger("gridflow.access")
CREATED = re.compile(r"/(reports|cases)/([0-9a-fA-F-]{36})")
ID_ARGS = {"report_id": "report_id", "case_id": "case_id"}
_SOURCE = __file__


def init_http_metrics(app: Flask, *, token: str = "", token_required: bool = False) -> None:
    """Times every request of `app` and serves `/metrics` (called by create_app); with
    `token_required` (production) and no token set, `/metrics` is refused to everyone."""
    engine = app.extensions["gridflow"].engine
    store = CollectorRegistry(auto_describe=False)
    store.register(StoreCollector(engine, outbox=True, cases=True))
    store.register(ReplicaCollector(app.extensions["gridflow"].reading))
    # The histogram's series by (method, URL rule, status), as `labels` gives them (it takes a
    # lock and builds its key on every call); as bounded as the series themselves.
    series: dict[tuple[str, str, int], Histogram] = {}

    @app.before_request
    def _start_timer() -> None:
        g.gridflow_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("gridflow_started", None)
        if started is None:
            return response
        elapsed = time.perf_counter() - started
        req = request._get_current_object()  # type: ignore[attr-defined]
        rule = req.url_rule
        endpoint = rule.rule if rule is not None else "unmatched"
        status = response.status_code
        key = (req.method, endpoint, status)
        child = series.get(key)
        if child is None:
            child = series[key] = HTTP_LATENCY.labels(req.method, endpoint, str(status))
        child.observe(elapsed)
        if endpoint != "/metrics":
            _log_request(req, endpoint, response, elapsed)
        return response

    def metrics() -> Response:
        if token_required and not token:
            raise Forbidden("metrics are not served: set GRIDFLOW_METRICS_TOKEN to scrape them")
        if token:
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                raise Unauthorized("the metrics token is required")
        body = generate_latest(REGISTRY) + generate_latest(store)
        return Response(body, mimetype=CONTENT_TYPE_LATEST)

    app.add_url_rule("/metrics", "metrics", metrics, methods=["GET"])


def _log_request(req: Request, endpoint: str, response: Response, elapsed: float) -> None:
    if not access_log.isEnabledFor(logging.INFO):
        return
    method, path, status = req.method, req.path, response.status_code
    extra: dict[str, object] = {
        "method": method,
        "path": path,
        "endpoint": endpoint,
        "status": status,
        "duration_ms": round(elapsed * 1000, 2),
    }
    view_args = req.view_args
    if view_args:
        for arg, name in ID_ARGS.items():
            if arg in view_args:
                extra[name] = str(view_args[arg])
    location = response.headers.get("Location")
    created = CREATED.search(location) if location else None
    if created:
        extra["report_id" if created.group(1) == "reports" else "case_id"] = created.group(2)
    # What `access_log.info` does, less its search of the call stack for the caller's file and
    # line, which no access line shows.
    record = access_log.makeRecord(
        access_log.name, logging.INFO, _SOURCE, 0, "%s %s %s", (method, path, status),
        None, "_log_request", extra,
    )  # fmt: skip
    access_log.handle(record)
