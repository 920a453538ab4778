"""Benchmark: the live feed at district scale (`./scripts/bench live`).

N Socket.IO clients (default 10,000: 95 % grid workers spread over the district's cells, 4 %
department consoles over its departments, 1 % operator pages over its streets and the
district), each with its own account and scope, connect over WebSocket from asyncio load
generators (scripts/livegen.py, one process per 9,000 clients) to one `gridflow serve`, or to
N of them behind the load balancer (`--processes 2`: infra/nginx, started by scripts/lb).
Then, with every client held:

- idle: `serve_rss_mb` of each API process and `rss_kb_per_client`;
- an ingest of `--rate` reports/s for `--measure-s` (phones' POSTs through the same address):
  `api_p99_ms` of those POSTs and `fanout_p50_ms`/`fanout_p99_ms` (the event's commit time,
  case_event.at, → its receipt by each client whose rooms cover it);
- `--restart`: every `serve` is stopped (SIGTERM) and started again under the same ingest;
  `reconnect_all_s` is the time from the stop until every client is connected again and has
  its replay, and `missed`/`doubled` count, over every client, the events of its scope after
  its first snapshot that it never received / received twice live.

Writes bench/results/live.json (or --out). The drill `socket-storm` runs the same restart.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import benchlib

from services.store.db import make_engine
from tests.integration.drills.storm import Generators, delivery, plan_clients

DISTRICT = "330211"


class Ingest(threading.Thread):
    """Phones posting reports at `rate`/s over keep-alive connections, each POST timed; a
    refused or broken connection counts as an error and is tried anew for the next report."""

    def __init__(self, port: int, plan: benchlib.ReportPlan, tokens: list[str], rate: float):
        super().__init__(daemon=True)
        self.port, self.plan, self.tokens, self.rate = port, plan, tokens, rate
        self.stop = threading.Event()
        self.results: list[tuple[float, float, int]] = []  # (sent at, seconds, status; 0 error)
        self.lock = threading.Lock()

    def run(self) -> None:
        import http.client

        sender_count = 8
        due = time.monotonic()
        interval = sender_count / self.rate

        def sender(k: int) -> None:
            conn: http.client.HTTPConnection | None = None
            next_at = due + k / self.rate
            i = k
            while not self.stop.is_set():
                wait = next_at - time.monotonic()
                if wait > 0:
                    self.stop.wait(wait)
                body = json.dumps(self.plan.body()).encode()
                token = self.tokens[i % len(self.tokens)]
                started, status = time.time(), 0
                t0 = time.monotonic()
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                    conn.request(
                        "POST",
                        "/api/v1/reports",
                        body,
                        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
                    )
                    resp = conn.getresponse()
                    resp.read()
                    status = resp.status
                except OSError:
                    conn = None
                with self.lock:
                    self.results.append((started, time.monotonic() - t0, status))
                next_at += interval
                i += sender_count

        threads = [threading.Thread(target=sender, args=(k,), daemon=True) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def window(self, start: float, end: float) -> list[tuple[float, float, int]]:
        with self.lock:
            return [r for r in self.results if start <= r[0] < end]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=10000)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--rate", type=float, default=50.0, help="reports/s during the measure")
    parser.add_argument("--measure-s", type=float, default=60.0)
    parser.add_argument("--ramp", type=float, default=1000.0, help="new connections offered/s")
    parser.add_argument("--restart", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--connect-timeout", type=float, default=600.0)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--name", default="live")
    args = parser.parse_args()
    doc = run(args)
    path = benchlib.write_result(args.name, doc, args.out)
    print(json.dumps(doc["figures"], indent=2))
    print(f"wrote {path}")


def run(args) -> dict:
    with benchlib.bench_database(args.name) as db:
        # Tokens for the whole run: pages and phones renew theirs, the generator's clients do
        # not (a 20,000-client run outlasts the default 15 minutes).
        config = benchlib.bench_config(
            db.app, args.name, rate_limit_per_minute=100000, live_max_clients=args.clients + 1000,
            trusted_proxies="127.0.0.0/28", access_token_ttl_s=3 * 3600,
        )  # fmt: skip
        engine = make_engine(db.owner)
        procs: dict[str, benchlib.Process] = {}
        try:
            return _run(args, config, engine, procs)
        finally:
            for proc in procs.values():  # a failed run leaves no process behind
                proc.stop()
            engine.dispose()
            benchlib.drop_topics(config)


def _run(args, config, engine, procs: dict) -> dict:
    categories = benchlib.load_demo_data(engine)
    cells = benchlib.current_cells(engine, DISTRICT)
    clients, principals = plan_clients(
        engine, config, args.clients, [c[0] for c in cells], DISTRICT
    )
    reporters = benchlib.make_grid_workers(engine, config, [c[0] for c in cells], 200, "live-rep")
    plan = benchlib.ReportPlan(cells, categories)
    procs["relay"] = benchlib.Process(args.name, "relay", ["relay"], config)
    procs["router"] = benchlib.Process(args.name, "router", ["router"], config)
    ports = [benchlib.free_port() for _ in range(args.processes)]

    starts = [0] * args.processes

    def start_serve(k: int) -> benchlib.Process:
        starts[k] += 1
        name = f"serve-{k}" + (f"-restart{starts[k] - 1}" if starts[k] > 1 else "")
        proc = benchlib.Process(args.name, name, ["serve", "--port", str(ports[k])], config)
        proc.wait_for_port(ports[k])
        return proc

    for k in range(args.processes):
        procs[f"serve-{k}"] = start_serve(k)
    lb = None
    port = ports[0]
    if args.processes > 1:
        port = benchlib.free_port()
        lb = subprocess.Popen([str(benchlib.ROOT / "scripts" / "lb"), "run", str(port),
                               *[str(p) for p in ports]])  # fmt: skip
        if not benchlib.wait_for_port(port, 30.0):
            raise TimeoutError(f"the balancer did not listen on {port}")
    figures: dict = {"clients": args.clients, "processes": args.processes}
    folder = Path(tempfile.mkdtemp(prefix="gridflow-live-"))
    tokens = [w[1] for w in reporters]
    warm = Ingest(port, plan, tokens, 10.0)
    warm.start()
    time.sleep(5)
    warm.stop.set()
    warm.join()
    rss_before = {k: _serve_rss(procs[f"serve-{k}"].pid) for k in range(args.processes)}
    url = f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
    gens = Generators(url, clients, args.ramp, folder)
    took = gens.wait_until("connected", args.clients, args.connect_timeout)
    figures["connected"] = gens.total("connected")
    figures["connect_s"] = round(took, 1) if took is not None else None
    figures["connect_per_s"] = round(args.clients / took, 1) if took else None
    time.sleep(10)  # idle: every snapshot and replay sent
    rss = {k: _serve_rss(procs[f"serve-{k}"].pid) for k in range(args.processes)}
    figures["serve_rss_mb"] = [round(v, 1) for v in rss.values()]
    figures["rss_kb_per_client"] = round(
        sum(rss[k] - rss_before[k] for k in rss) * 1024 / max(1, figures["connected"]), 1
    )
    received_before = gens.total("received")
    pids = {n: p.pid for n, p in procs.items()}
    pids |= {f"generator-{k}": pid for k, pid in enumerate(gens.pids())}
    sampler = benchlib.Sampler(pids, engine.url.database).start()
    ingest = Ingest(port, plan, tokens, args.rate)
    start = time.time()
    ingest.start()
    time.sleep(args.measure_s)
    end = time.time()
    usage = sampler.stop()
    steady = ingest.window(start, end)
    figures["api_p50_ms"] = benchlib.ms(benchlib.percentile([r[1] for r in steady if r[2]], 50))
    figures["api_p99_ms"] = benchlib.ms(benchlib.percentile([r[1] for r in steady if r[2]], 99))
    figures["api_errors"] = sum(1 for r in steady if r[2] not in (200, 201))
    figures["reports_posted"] = len(steady)
    figures["deliveries_in_measure"] = gens.total("received") - received_before
    figures["cpu_s_per_s"] = {k: round(v / args.measure_s, 2) for k, v in usage["cpu_s"].items()}
    if args.restart:
        stopped = time.time()
        restart_pids = {n: p.pid for n, p in procs.items() if not n.startswith("serve-")}
        restart_pids |= {f"generator-{k}": pid for k, pid in enumerate(gens.pids())}
        for k in range(args.processes):
            procs[f"serve-{k}"].stop()
            figures.setdefault("stop_s", []).append(round(time.time() - stopped, 1))
            procs[f"serve-{k}"] = start_serve(k)
            _wait_until_answering(ports[k])  # the port alone may be the old worker's, exiting
        figures["restart_s"] = round(time.time() - stopped, 1)
        restart_pids |= {f"serve-{k}": procs[f"serve-{k}"].pid for k in range(args.processes)}
        storm = benchlib.Sampler(restart_pids, engine.url.database).start()
        storm_started = time.time()
        timeline: list[tuple[float, int, int]] = []
        back = gens.wait_until("back", args.clients, 300, timeline)
        figures["reconnect_all_s"] = round(time.time() - stopped, 1) if back is not None else None
        # Which process was busy while they came back (CPU seconds per second, by process).
        storm_usage = storm.stop()
        storm_s = max(time.time() - storm_started, 1e-3)
        figures["reconnect_cpu_s_per_s"] = {
            k: round(v / storm_s, 2) for k, v in storm_usage["cpu_s"].items()
        }
        # How the clients came back: (s since the stop, connected, back) every 5 s.
        figures["reconnect_timeline"] = [
            [round(t - stopped, 1), connected, n] for t, connected, n in timeline[::5]
        ]
        figures["caught_up_after_restart"] = gens.total("back")
        restart_window = ingest.window(stopped, time.time())
        figures["api_errors_during_restart"] = sum(
            1 for r in restart_window if r[2] not in (200, 201)
        )
        time.sleep(5)
    ingest.stop.set()
    ingest.join()
    time.sleep(5)  # the last events reach the clients
    outs = gens.finish()
    lat = [x for out in outs for t, x in out["latencies"] if start <= t < end]
    figures["fanout_p50_ms"] = benchlib.ms(benchlib.percentile(lat, 50))
    figures["fanout_p99_ms"] = benchlib.ms(benchlib.percentile(lat, 99))
    figures.update(delivery(engine, principals, outs))
    figures["generator_errors"] = {k: v for out in outs for k, v in out["errors"].items()}
    for proc in procs.values():
        proc.stop()
    if lb is not None:
        lb.terminate()
        lb.wait(timeout=30)
    return {"machine": benchlib.machine(), "args": vars(args) | {"out": str(args.out)},
            "figures": figures, "usage": usage}  # fmt: skip


def _wait_until_answering(port: int, timeout_s: float = 60.0) -> None:
    """Until the `serve` on `port` answers /livez."""
    import http.client

    deadline = time.monotonic() + timeout_s
    last: OSError | None = None
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=0.5)
        try:
            conn.request("GET", "/livez")
            if conn.getresponse().status == 200:
                return
        except OSError as exc:  # not answering yet
            last = exc
        finally:
            conn.close()
        time.sleep(0.05)
    raise TimeoutError(f"the serve on {port} did not answer /livez in {timeout_s} s") from last


def _serve_rss(master_pid: int) -> float:
    """RSS (MB) of a `gridflow serve`'s worker (the process holding the sockets)."""
    workers = benchlib.children(master_pid)
    return sum(benchlib.proc_rss_mb(p) or 0.0 for p in workers) or (
        benchlib.proc_rss_mb(master_pid) or 0.0
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
