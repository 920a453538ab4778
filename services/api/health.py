"""GET /healthz: 200 when PostgreSQL and Kafka both answer, 503 naming the failing one."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from services import probes

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    gf = current_app.extensions["gridflow"]
    cfg = gf.config
    results = probes.check_all(
        {
            "database": lambda: probes.database_ok(gf.engine),
            "kafka": lambda: probes.kafka_ok(cfg.kafka_bootstrap_servers, cfg.health_timeout_s),
        },
        timeout_s=cfg.health_timeout_s,
    )
    healthy = all(v == "ok" for v in results.values())
    return jsonify(results), 200 if healthy else 503
