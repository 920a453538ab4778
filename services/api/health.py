"""Health for orchestrators and load balancers, saying which dependency fails but never how
(the clients' error texts go to the log, not to whoever asks):

- GET /livez: the process answers (restart it when this fails);
- GET /readyz: PostgreSQL answers, so requests can be served (take it out of the balancer
  when this fails); Kafka is reported but not required: capture writes to the outbox, and
  the relay catches up when the broker is back;
- GET /healthz: 200 when PostgreSQL and Kafka both answer, 503 naming the failing one.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify

from services import probes

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)
OK, UNAVAILABLE = "ok", "unavailable"


def _dependencies() -> dict[str, str]:
    """Each dependency as ok or unavailable; what went wrong is logged."""
    gf = current_app.extensions["gridflow"]
    cfg = gf.config
    results = probes.check_all(
        {
            "database": lambda: probes.database_ok(gf.engine),
            "kafka": lambda: probes.kafka_ok(cfg.kafka_bootstrap_servers, cfg.health_timeout_s),
        },
        timeout_s=cfg.health_timeout_s,
    )
    for name, result in results.items():
        if result != OK:
            log.warning("health check: %s unavailable: %s", name, result)
    return {name: OK if result == OK else UNAVAILABLE for name, result in results.items()}


@bp.get("/livez")
def livez():
    return jsonify({"status": "alive"})


@bp.get("/readyz")
def readyz():
    results = _dependencies()
    return jsonify(results), 200 if results["database"] == OK else 503


@bp.get("/healthz")
def healthz():
    results = _dependencies()
    return jsonify(results), 200 if all(v == OK for v in results.values()) else 503
