"""What operators see of a running gridflow process: Prometheus metrics and JSON log lines.

    from services.observability import logs, metrics
    logs.configure_logging("INFO")            # one JSON object per line on stderr
    metrics.serve(config, engine)             # a processor's metrics port (GRIDFLOW_METRICS_PORT)
    init_http_metrics(app)                    # the API's /metrics and request histograms

Imports the store, services.http and the domain core; nothing here imports streams/, the
stream processors call it from their entry points.
"""
