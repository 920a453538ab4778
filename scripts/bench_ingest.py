"""Benchmark: report ingestion end to end (`./scripts/bench ingest`).

An open-loop load generator posts grid workers' reports (JSON, no photos) over HTTP at a target
rate for a set duration, from N accounts (default 2,000), while a Socket.IO client signed in as
the district's command-center operator listens to the live feed. Every gridflow process runs
as a subprocess (`gridflow serve`, `relay`, `router`, `scheduler`) against a scratch database
and topic prefix. Figures: accepted reports per second, HTTP p50/p99, end-to-end p50/p99 (POST
sent → the case's `CaseDispatched` event received by the Socket.IO client), lost (accepted
reports without a dispatched case after the drain), duplicates, CPU per report (every gridflow
process, PostgreSQL and Kafka) and peak RSS per process. `--sweep 100,200,…` runs rising rates
and reports the highest whose e2e p99 stays within 1 s.

Reports are spread so that no two of one category fall within that category's duplicate radius
(a merged duplicate is never dispatched, and would count as lost).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import dataclass, field

import benchlib
import socketio
from sqlalchemy import text

from services.store.db import make_engine

DISTRICT = "330211"
OPERATOR_FEED_EVENT = "case_events"  # a list of case events each time


@dataclass
class Feed:
    """The command center's Socket.IO client: when each report's dispatch arrived."""

    url: str
    token: str
    dispatched: dict[str, float] = field(default_factory=dict)
    seen_ids: set[int] = field(default_factory=set)
    repeated: int = 0
    events: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def connect(self) -> socketio.Client:
        """Connects and waits for the snapshot. Packets are decoded with orjson and frames'
        UTF-8 is not checked in pure Python (websocket-client without `wsaccel`), as a browser
        does both natively: the client shares the machine with what it measures."""
        from services.live.wire import WirePacket

        client = socketio.Client(
            reconnection=True,
            serializer=WirePacket,
            websocket_extra_options={"skip_utf8_validation": True},
        )
        ready = threading.Event()

        @client.on("snapshot")
        def _snapshot(_data):
            ready.set()

        @client.on(OPERATOR_FEED_EVENT)
        def _case_events(messages):
            now = time.monotonic()
            with self.lock:
                for message in messages:
                    self.events += 1
                    if message.get("id") in self.seen_ids:
                        self.repeated += 1
                        continue
                    self.seen_ids.add(message.get("id"))
                    if message.get("type") == "CaseDispatched":
                        report_id = (message.get("case") or {}).get("report_id")
                        self.dispatched.setdefault(report_id, now)

        client.connect(
            self.url, auth={"token": self.token}, transports=["websocket"], wait_timeout=60
        )
        if not ready.wait(30):
            raise RuntimeError("no snapshot from the live feed")
        return client


def drain(feed: Feed, engine, accepted: set[str], timeout_s: float, idle_s: float = 30.0) -> float:
    """Waits until every accepted report's dispatch reached the feed, or neither the feed nor
    the database (dispatched cases) made progress for idle_s, or timeout_s; returns the
    seconds waited. An overloaded pipeline is still working through its backlog, so a stalled
    feed alone does not end the drain."""
    ids = list(accepted)
    started = time.monotonic()
    last, last_change = (-1, -1), started
    while time.monotonic() - started < timeout_s:
        with feed.lock:
            seen = sum(1 for r in accepted if r in feed.dispatched)
        if seen == len(accepted):
            break
        progress = (seen, dispatched_count(engine, ids))
        if progress != last:
            last, last_change = progress, time.monotonic()
        elif time.monotonic() - last_change > idle_s:
            break
        time.sleep(1.0)
    return time.monotonic() - started


def dispatched_count(engine, report_ids: list[str]) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT count(*) FROM case_file WHERE report_id = ANY(CAST(:ids AS uuid[])) "
                "AND dispatched_at IS NOT NULL"
            ),
            {"ids": report_ids},
        ).scalar_one()


def outcome(engine, report_ids: list[str]) -> dict:
    """What the database holds for the accepted reports: cases by state, lost, duplicates."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT r.id::text AS report_id, c.id AS case_id, c.state, c.dispatched_at "
                "FROM unnest(CAST(:ids AS uuid[])) AS r(id) "
                "LEFT JOIN case_file c ON c.report_id = r.id"
            ),
            {"ids": report_ids},
        ).all()
        extra_dispatches = conn.execute(
            text(
                "SELECT coalesce(sum(n - 1), 0) FROM (SELECT e.case_id, count(*) AS n "
                "FROM case_event e JOIN case_file c ON c.id = e.case_id "
                "WHERE c.report_id = ANY(CAST(:ids AS uuid[])) AND e.type = 'CaseDispatched' "
                "GROUP BY e.case_id) x"
            ),
            {"ids": report_ids},
        ).scalar_one()
    states: dict[str, int] = {}
    per_report: dict[str, int] = {}
    for r in rows:
        states[r.state or "no case"] = states.get(r.state or "no case", 0) + 1
        if r.case_id is not None:
            per_report[r.report_id] = per_report.get(r.report_id, 0) + 1
    lost = sum(1 for r in rows if r.dispatched_at is None)
    extra_cases = sum(n - 1 for n in per_report.values() if n > 1)
    return {
        "states": states,
        "lost": lost,
        "duplicates": int(extra_cases + extra_dispatches),
    }


class Ingest:
    """The processes, accounts, feed and generator of one run (several steps in a sweep)."""

    def __init__(self, args, config, engine):
        self.args = args
        self.config = config
        self.engine = engine
        self.procs: dict[str, benchlib.Process] = {}
        self.port = benchlib.free_port()

    def start(self) -> None:
        categories = benchlib.load_demo_data(self.engine)
        cells = benchlib.current_cells(self.engine, DISTRICT)
        workers = benchlib.make_grid_workers(
            self.engine, self.config, [c[0] for c in cells], self.args.accounts, "bench-worker"
        )
        self.tokens = [w[1] for w in workers]
        _, operator_token = benchlib.make_account(
            self.engine, self.config, "operator", jurisdiction_code=DISTRICT
        )
        self.plan = benchlib.ReportPlan(cells, categories)
        serve = benchlib.Process(
            "ingest",
            "serve",
            ["serve", "--port", str(self.port), "--server", self.args.server],
            self.config,
        )
        self.procs["serve"] = serve
        self.procs["relay"] = benchlib.Process("ingest", "relay", ["relay"], self.config)
        self.procs["router"] = benchlib.Process("ingest", "router", ["router"], self.config)
        if not self.args.no_scheduler:
            self.procs["scheduler"] = benchlib.Process(
                "ingest", "scheduler", ["scheduler"], self.config
            )
        serve.wait_for_port(self.port)
        self.feed = Feed(f"http://127.0.0.1:{self.port}", operator_token)
        self.client = self.feed.connect()
        self.generator = benchlib.OpenLoop(self.port, self.args.workers)
        self.warm_up()

    def reports(self, count: int) -> list[benchlib.Request]:
        """`count` report POSTs, the accounts taking turns."""
        out = []
        for i in range(count):
            body = self.plan.body()
            token = self.tokens[i % len(self.tokens)]
            out.append(benchlib.Request("/api/v1/reports", json.dumps(body).encode(), token,
                                        body["id"]))  # fmt: skip
        return out

    def warm_up(self) -> None:
        """A few reports through the whole pipeline, so topics, consumer groups and pools
        exist before anything is measured."""
        sent = self.generator.run(self.generator.prepare(self.reports(20)), rate=10)
        accepted = {s.key for s in sent if s.status in (200, 201)}
        if not accepted:
            raise RuntimeError(f"warm-up reports refused: {[s.status for s in sent][:5]}")
        waited = drain(self.feed, self.engine, accepted, timeout_s=120, idle_s=60)
        missing = [r for r in accepted if r not in self.feed.dispatched]
        if missing:
            raise RuntimeError(f"warm-up: {len(missing)} reports not dispatched in {waited:.0f} s")

    def step(self, rate: float, duration_s: float) -> dict:
        # Bodies and request bytes are built before the measured window.
        requests = self.generator.prepare(self.reports(int(rate * duration_s)))
        pids = {name: p.pid for name, p in self.procs.items()}
        sampler = benchlib.Sampler(pids, self.engine.url.database).start()
        gen_cpu = benchlib.self_cpu_s()
        load_start = time.monotonic()
        sent = self.generator.run(requests, rate)
        load_end = max(s.done for s in sent)
        accepted = [s for s in sent if s.status in (200, 201)]
        accepted_ids = {s.key for s in accepted}
        drained_s = drain(self.feed, self.engine, accepted_ids, self.args.drain_timeout)
        usage = sampler.stop()
        gen_cpu = benchlib.self_cpu_s() - gen_cpu
        db = outcome(self.engine, [s.key for s in accepted])
        http = [s.done - s.sent for s in accepted]
        with self.feed.lock:
            e2e = [self.feed.dispatched[s.key] - s.sent
                   for s in accepted if s.key in self.feed.dispatched]  # fmt: skip
            repeated = self.feed.repeated
        lag = [s.sent - s.scheduled for s in sent]
        statuses: dict[str, int] = {}
        for s in sent:
            statuses[str(s.status)] = statuses.get(str(s.status), 0) + 1
        system_cpu = usage["cpu_s_total"]
        window = load_end - load_start
        return {
            "target_rate_per_s": rate,
            "duration_s": duration_s,
            "sent": len(sent),
            "statuses": statuses,
            "accepted": len(accepted),
            "accepted_per_s": round(len(accepted) / window, 1),
            "http_p50_ms": benchlib.ms(benchlib.percentile(http, 50)),
            "http_p99_ms": benchlib.ms(benchlib.percentile(http, 99)),
            "e2e_p50_ms": benchlib.ms(benchlib.percentile(e2e, 50)),
            "e2e_p99_ms": benchlib.ms(benchlib.percentile(e2e, 99)),
            "e2e_max_ms": benchlib.ms(max(e2e) if e2e else None),
            "dispatched_on_feed": len(e2e),
            "dispatched_not_on_feed": sum(db["states"].values()) - db["lost"] - len(e2e),
            "lost": db["lost"],
            "duplicates": db["duplicates"],
            "feed_repeated_events": repeated,
            "case_states": db["states"],
            "generator_lag_p99_ms": benchlib.ms(benchlib.percentile(lag, 99)),
            "drain_s": round(drained_s, 1),
            "cpu_ms_per_report": round(system_cpu * 1000 / len(accepted), 2) if accepted else None,
            "cpu_s": usage["cpu_s"],
            "postgres_cpu_s_by_client": usage["postgres_cpu_s_by_client"],
            "cpu_s_system_total": system_cpu,
            "cpu_s_load_generator": round(gen_cpu, 3),
            "cpu_window_s": usage["window_s"],
            "peak_rss_mb": usage["peak_rss_mb"],
            "peak_rss_mb_postgres_backend_max": usage["peak_rss_mb_postgres_backend_max"],
            "peak_rss_mb_kafka": usage["peak_rss_mb_kafka"],
            "cpu_notes": usage["notes"],
            "load_average_after": benchlib.load_average(),
        }

    def stop(self) -> dict[str, int]:
        codes = {}
        try:
            self.client.disconnect()
        except Exception as exc:  # noqa: BLE001 - report, then stop the processes anyway
            print(f"feed disconnect: {exc}", file=sys.stderr)
        for name, proc in self.procs.items():
            codes[name] = proc.stop()
        return codes


def meets(step: dict) -> bool:
    return (
        step["e2e_p99_ms"] is not None
        and step["e2e_p99_ms"] <= 1000
        and step["lost"] == 0
        and step["accepted_per_s"] >= 0.95 * step["target_rate_per_s"]
    )


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=300.0, help="reports per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--sweep", default="", help="rates to try in turn, e.g. 100,200,300,400")
    parser.add_argument("--sweep-duration", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=48, help="generator connections")
    parser.add_argument("--drain-timeout", type=float, default=600.0)
    parser.add_argument("--no-scheduler", action="store_true")
    parser.add_argument("--server", choices=("gunicorn", "werkzeug"), default="gunicorn",
                        help="gridflow serve --server")  # fmt: skip
    parser.add_argument(
        "--router-batch-size",
        type=int,
        default=None,
        help="GRIDFLOW_ROUTER_BATCH_SIZE (default: the Config's)",
    )
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--out", default=None, help="result file (default bench/results/…)")
    parser.add_argument("--wait-load", type=float, default=0.0,
                        help="wait up to 10 min for the 1-min load average below this")  # fmt: skip
    args = parser.parse_args(argv)
    quiet = benchlib.wait_for_quiet(args.wait_load, 600) if args.wait_load else None
    info = benchlib.machine()
    with benchlib.bench_database("ingest", keep=args.keep_db) as db:
        changes = (
            {} if args.router_batch_size is None else {"router_batch_size": args.router_batch_size}
        )
        config = benchlib.bench_config(
            db.app, "ingest", rate_limit_per_minute=1_000_000, access_token_ttl_s=7200, **changes
        )
        engine = make_engine(db.owner)
        run = Ingest(args, config, engine)
        try:
            run.start()
            if args.sweep:
                rates = [float(x) for x in args.sweep.split(",") if x.strip()]
                steps = []
                for rate in rates:
                    steps.append(run.step(rate, args.sweep_duration))
                    print(json.dumps({k: steps[-1][k] for k in (
                        "target_rate_per_s", "accepted_per_s", "e2e_p99_ms", "lost")}),
                        file=sys.stderr)  # fmt: skip
                    if not meets(steps[-1]):
                        break
                good = [s["target_rate_per_s"] for s in steps if meets(s)]
                figures = {"max_rate_e2e_p99_within_1s": max(good) if good else None,
                           "steps": steps}  # fmt: skip
            else:
                figures = run.step(args.rate, args.duration)
        finally:
            exit_codes = run.stop()
            engine.dispose()
            benchlib.drop_topics(config)
    doc = {
        "machine": info,
        "load_wait": quiet,
        "parameters": {
            "accounts": args.accounts,
            "rate_per_s": args.rate,
            "duration_s": args.duration,
            "sweep": args.sweep or None,
            "sweep_duration_s": args.sweep_duration if args.sweep else None,
            "generator_connections": args.workers,
            "server": args.server,
            "report": "JSON body, no photos; categories round robin, spread beyond each "
            "category's duplicate radius",
            "processes": sorted(exit_codes),
            "config": {
                **benchlib.config_doc(
                    config,
                    (
                        "topic_partitions",
                        "relay_poll_interval_s",
                        "rate_limit_per_minute",
                        "access_token_ttl_s",
                        "router_batch_size",
                    ),
                ),
                "note": "rate_limit_per_minute raised from the default 120 so one account's "
                "burst is not refused; tokens minted through services.auth.tokens.open_session "
                "(the login's code) instead of 2,000 password logins",
            },  # fmt: skip
        },
        "process_exit_codes": exit_codes,
        "figures": figures,
        "targets": {
            "accepted_per_s": ">= 300 for 60 s",
            "e2e_p99_ms": "<= 1000",
            "lost": 0,
            "duplicates": 0,
            "cpu_ms_per_report": "<= 6",
            "peak_rss_mb": "<= 300 per gridflow process",
        },  # fmt: skip
    }
    # A sweep is its own result (ingest_sweep.json), next to the fixed-rate run (ingest.json).
    name = "ingest_sweep" if args.sweep else "ingest"
    path = benchlib.write_result(name, doc, benchlib.Path(args.out) if args.out else None)
    print(f"wrote {path}", file=sys.stderr)
    return doc


if __name__ == "__main__":
    main()
