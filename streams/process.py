"""What every long-running stream process shares: JSON logs, a metrics port and a clean
SIGTERM/SIGINT stop."""

from __future__ import annotations

import logging
import signal
import threading

from services.config import Config
from services.observability.logs import configure_logging as configure_json_logging
from services.observability.metrics import MetricsServer, start_metrics_server


def configure_logging(level: str = "INFO") -> None:
    """One JSON object per line on stderr (services.observability.logs), with the ids a line
    is about (case_id, report_id, event_id, …) as fields of their own."""
    configure_json_logging(level)


def start_metrics(config: Config, port: int | None, **gauges: bool) -> MetricsServer | None:
    """Serves the process's Prometheus metrics on `port` (or GRIDFLOW_METRICS_PORT; 0: none).
    `gauges` (outbox=…, cases=…) adds the database gauges this process is the natural home of."""
    return start_metrics_server(
        config.metrics_port if port is None else port,
        host=config.metrics_host,
        database_url=config.database_url,
        **gauges,
    )


def stop_on_signals() -> threading.Event:
    """An event set on SIGTERM or SIGINT; loops check it and finish their current step."""
    stop = threading.Event()

    def _handler(signum: int, _frame: object) -> None:
        logging.getLogger("gridflow").info("received %s; stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)
    return stop
