"""Prometheus metrics of gridflow processes (prometheus-client, the process's default registry).

Counters and histograms are module-level, so each process exposes one set whatever it runs:

    gridflow_http_request_duration_seconds{method,endpoint,status}  the API, per URL rule
    gridflow_events_processed_total{processor}        events a consume loop handled
    gridflow_events_dead_lettered_total{processor}    … sent to the dead-letter topic
    gridflow_consumer_lag{processor,topic,partition}  records behind the partition's end
    gridflow_outbox_published_total                   rows the relay published
    gridflow_relay_failures_total                     relay passes that failed

Gauges read from the database at scrape time (`StoreCollector`):

    gridflow_outbox_backlog, gridflow_outbox_oldest_age_seconds      unsent outbox rows
    gridflow_cases_open{state}, gridflow_cases_overdue               open and overdue cases
    gridflow_store_up                                                1 if the database answered
    gridflow_replica_up, _serving, _lag_seconds    the read replica, when one is configured

The API serves them on `/metrics` (services.observability.http); a stream processor on its own
port (`start_metrics_server`, GRIDFLOW_METRICS_PORT or --metrics-port).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from services.domain.states import OPEN_STATES, CaseState
from services.store.db import make_engine
from services.store.gauges import scrape
from services.store.reading import Reading

log = logging.getLogger(__name__)

HTTP_LATENCY = Histogram(
    "gridflow_http_request_duration_seconds",
    "API request latency by URL rule (the route, not the concrete path)",
    ["method", "endpoint", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
EVENTS_PROCESSED = Counter(
    "gridflow_events_processed", "Events a stream processor handled", ["processor"]
)
EVENTS_DEAD_LETTERED = Counter(
    "gridflow_events_dead_lettered", "Events a stream processor dead-lettered", ["processor"]
)
CONSUMER_LAG = Gauge(
    "gridflow_consumer_lag",
    "Records between a consumer's position and the end of the partition",
    ["processor", "topic", "partition"],
)
OUTBOX_PUBLISHED = Counter("gridflow_outbox_published", "Outbox rows the relay published")
RELAY_FAILURES = Counter("gridflow_relay_failures", "Relay passes that failed (broker or database)")


class StoreCollector(Collector):
    """Reads the outbox backlog and/or the open and overdue cases at each scrape.

    A database that does not answer within `timeout_ms` yields gridflow_store_up 0 and no other
    gauge from this collector (a missing series, never a made-up zero)."""

    def __init__(
        self, engine: Engine, *, outbox: bool = True, cases: bool = True, timeout_ms: int = 5000
    ) -> None:
        self.engine = engine
        self.outbox = outbox
        self.cases = cases
        self.timeout_ms = timeout_ms

    def describe(self) -> list[Metric]:
        return []  # values come from the database; nothing to collect at registration

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("gridflow_store_up", "1 when the database answered this scrape")
        found: list[Metric] = []
        try:
            backlog, counts = scrape(
                self.engine, outbox=self.outbox, cases=self.cases, timeout_ms=self.timeout_ms
            )
            if backlog is not None:
                found += _outbox_gauges(backlog)
            if counts is not None:
                found += _case_gauges(counts)
        except SQLAlchemyError as exc:
            log.warning("metrics: the database did not answer: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from found


class ReplicaCollector(Collector):
    """The read replica as `Reading` last checked it (checked again when stale):
    gridflow_replica_up, gridflow_replica_lag_seconds (absent while it is down) and
    gridflow_replica_serving (1 when reads go to it, 0 when to the primary). Nothing when no
    replica is configured."""

    def __init__(self, reading: Reading) -> None:
        self.reading = reading

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        state = self.reading.state()
        if not state.configured:
            return
        for name, doc, value in (
            ("gridflow_replica_up", "1 when the read replica answered its last check", state.up),
            ("gridflow_replica_serving", "1 when reads go to the replica, 0: the primary",
             state.serving),
            ("gridflow_replica_lag_seconds", "How far the replica's replay is behind",
             state.lag_s),
        ):  # fmt: skip
            if value is not None:
                gauge = GaugeMetricFamily(name, doc)
                gauge.add_metric([], float(value))
                yield gauge


def _outbox_gauges(row) -> list[Metric]:
    backlog = GaugeMetricFamily("gridflow_outbox_backlog", "Outbox rows not yet published")
    backlog.add_metric([], row.backlog)
    age = GaugeMetricFamily(
        "gridflow_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row (0: none)"
    )
    age.add_metric([], float(row.oldest or 0.0))
    return [backlog, age]


def _case_gauges(rows) -> list[Metric]:
    by_state = {r.state: r for r in rows}
    opened = GaugeMetricFamily("gridflow_cases_open", "Open cases by state", labels=["state"])
    for state in (s.value for s in CaseState if s in OPEN_STATES):
        opened.add_metric([state], by_state[state].n if state in by_state else 0)
    overdue = GaugeMetricFamily(
        "gridflow_cases_overdue", "Open cases past their acknowledge or resolve due time"
    )
    overdue.add_metric([], sum(r.overdue for r in rows))
    return [opened, overdue]


@dataclass
class MetricsServer:
    """A processor's metrics endpoint; `close()` stops it and releases its database engine."""

    port: int
    _server: object | None = None
    _thread: threading.Thread | None = None
    _collector: StoreCollector | None = None
    _engine: Engine | None = None
    _closed: bool = field(default=False)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._server is not None:
            self._server.shutdown()  # type: ignore[attr-defined]
            self._server.server_close()  # type: ignore[attr-defined]
        if self._collector is not None:
            REGISTRY.unregister(self._collector)
        if self._engine is not None:
            self._engine.dispose()


def start_metrics_server(
    port: int,
    *,
    host: str = "127.0.0.1",
    database_url: str | None = None,
    outbox: bool = False,
    cases: bool = False,
) -> MetricsServer | None:
    """Serves this process's metrics on http://host:port/metrics (None when port is 0).

    With `database_url` and `outbox`/`cases`, the scrape also reads those gauges through a
    one-connection engine of its own, so a slow scrape never holds the processor's pool."""
    if port <= 0:
        return None
    served = MetricsServer(port)
    if database_url and (outbox or cases):
        served._engine = make_engine(database_url, pool_size=1)
        served._collector = StoreCollector(served._engine, outbox=outbox, cases=cases)
        REGISTRY.register(served._collector)
    served._server, served._thread = start_http_server(port, addr=host)
    log.info("metrics on http://%s:%d/metrics", host, port)
    return served
