"""Benchmark: the command center's reads at city scale (`./scripts/bench scale`).

A scratch database gets a generated grid of ~100,000 cells (the demo district cut into ~50 m
squares with geo.generate) and 1,000,000 historical cases spread over the last 365 days (each
with its report, its case events — registered, dispatched, acknowledged, resolved, closed as
far as it got — and, for a third of the closed ones, the reporter's rating); cases of the last
few days are still open. Then, against a `gridflow serve` process, one request at a time:

* snapshot — a command-center page connecting over Socket.IO as the district's operator,
  from connect to the `snapshot` event (KPI tiles, hourly chart, cell load, open cases, …),
  decoded as a browser would (see `snapshot_once`);
* cells in bbox — GET /api/v1/grid/cells for the whole district at city zoom (12), one page of
  the maximum 2,000 cells;
* month KPIs — GET /api/v1/stats/departments for the last full calendar month;
* case search — GET /api/v1/operator/cases/search per query kind (bench_search.py);
* what leaders read (bench_scale_leaders.py): the district's ranking for a quarter, a street's
  monthly notice as PDF and XLSX, the district's year ledger streamed (serve's peak RSS).

The history is loaded by bench_scale_load.py; `--keep-db` keeps the database and
`--reuse-db` measures a kept one again without loading.

`--small` runs it all on 2,000 cells and 20,000 cases (a few minutes) and writes its result
to a temporary file unless `--out` says where.

Figures: p50/p99 of each, the database size, and how long loading took.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta

import bench_scale_leaders
import bench_scale_load
import bench_search
import benchlib
import requests
import socketio
from sqlalchemy import text

from services.store.db import make_engine
from streams.topics import ensure_topics

DISTRICT = bench_scale_load.DISTRICT
CLOSING: list[threading.Thread] = []


def timed(fn, repeats: int) -> list[float]:
    """Seconds of each of `repeats` calls; a call returning a number reports its own time."""
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        own = fn()
        out.append(own if isinstance(own, float) else time.perf_counter() - t0)
    return out


def snapshot_once(url: str, token: str) -> float:
    """Seconds from connecting a new Socket.IO client to its snapshot (closing not counted).

    The client decodes packets with orjson and skips websocket-client's UTF-8 check of each
    frame, which is pure Python without `wsaccel` (~0.4 s of the generator's CPU for a 2 MB
    snapshot): a browser does both natively, and the figure is the server's."""
    from services.live.wire import WirePacket

    client = socketio.Client(
        reconnection=False,
        serializer=WirePacket,
        websocket_extra_options={"skip_utf8_validation": True},
    )
    got = threading.Event()
    client.on("snapshot", lambda _d: got.set())
    t0 = time.perf_counter()
    client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=60)
    try:
        if not got.wait(60):
            raise RuntimeError("no snapshot within 60 s")
        return time.perf_counter() - t0
    finally:
        # The client takes ~3 s to close its WebSocket; close it aside, joined at the end.
        closing = threading.Thread(target=client.disconnect, daemon=True)
        closing.start()
        CLOSING.append(closing)


def last_full_month(today: date) -> tuple[date, date]:
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def summary(samples: list[float]) -> dict:
    return {"p50_ms": benchlib.ms(benchlib.percentile(samples, 50)),
            "p99_ms": benchlib.ms(benchlib.percentile(samples, 99)),
            "max_ms": benchlib.ms(max(samples)), "samples": len(samples)}  # fmt: skip


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--open-days", type=float, default=4.0,
                        help="cases younger than this are still open")  # fmt: skip
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument(
        "--warmup", type=int, default=10,
        help="snapshots after the server starts, timed apart as `snapshot_cold`",
    )  # fmt: skip
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--reuse-db", action="store_true", help="measure a kept database again (implies --keep-db)"
    )
    parser.add_argument(
        "--load-only", action="store_true",
        help="load the history and stop (with --keep-db: a later --reuse-db run measures it)",
    )  # fmt: skip
    parser.add_argument(
        "--ledger-place", choices=("district", "street"), default="district",
        help="whose year ledger is exported: the district's, or its busiest street's",
    )  # fmt: skip
    parser.add_argument("--out", default=None)
    parser.add_argument("--small", action="store_true", help="2,000 cells, 20,000 cases")
    args = parser.parse_args(argv)
    if args.small:
        args.cells, args.cases, args.repeats, args.warmup = 2_000, 20_000, 20, 2
        args.out = args.out or str(benchlib.Path(tempfile.gettempdir()) / "scale-small.json")
    info = benchlib.machine()
    keep = args.keep_db or args.reuse_db
    with benchlib.bench_database("scale", keep=keep, reuse=args.reuse_db) as db:
        config = benchlib.bench_config(db.app, "scale", rate_limit_per_minute=1_000_000)
        # The topics exist in production: without them the server's live feed asks Kafka for
        # metadata again and again (all of the broker's topics each time), ~3 % of a core.
        ensure_topics(config)
        engine = make_engine(db.owner)
        serve = None
        try:
            grid, history = bench_scale_load.loaded(engine)
            if grid is None:
                grid = bench_scale_load.load_grid(engine, args.cells)
                from services.routing.rulefile import load_demo_rules

                load_demo_rules(engine, actor="bench")
                cells = benchlib.current_cells(engine, DISTRICT)
                reporter = benchlib.make_grid_workers(engine, config, [cells[0][0]], 1,
                                                      "bench-scale")  # fmt: skip
                history = bench_scale_load.load_history(
                    engine, args.cases, reporter[0][0], args.open_days
                )
                bench_search.vary_reports(engine)
                bench_scale_load.remember(engine, grid, history)
            if args.load_only:
                print(f"loaded {grid} {history}", file=sys.stderr)
                return {"grid": grid, "history": history}
            with engine.connect() as conn:
                size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
                bounds = conn.execute(
                    text(
                        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                        "(SELECT ST_Extent(geom) AS e FROM grid_cell) x"
                    )  # fmt: skip
                ).one()
                in_bbox = conn.execute(text("SELECT count(*) FROM grid_cell")).scalar_one()
            _, operator = benchlib.make_account(engine, config, "operator",
                                                jurisdiction_code=DISTRICT)  # fmt: skip
            port = benchlib.free_port()
            serve = benchlib.Process("scale", "serve", ["serve", "--port", str(port)], config)
            serve.wait_for_port(port)
            base = f"http://127.0.0.1:{port}"
            http = requests.Session()
            auth = {"Authorization": f"Bearer {operator}"}
            bbox = ",".join(f"{v:.6f}" for v in bounds)
            cells_url = f"{base}/api/v1/grid/cells?bbox={bbox}&zoom=12&limit=2000"
            first, last = last_full_month(datetime.now(UTC).date())
            stats_url = f"{base}/api/v1/stats/departments?from={first}&to={last}"

            def get(url: str) -> None:
                resp = http.get(url, headers=auth, timeout=120)
                if resp.status_code != 200:
                    raise RuntimeError(f"{url}: {resp.status_code} {resp.text[:300]}")

            # The first connects after the server starts open the pool's connections and
            # send statements psycopg has not yet prepared on them: timed apart, so the
            # steady-state figure does not depend on how many of them the sample holds.
            cold = timed(lambda: snapshot_once(base, operator), max(1, args.warmup))
            get(cells_url)
            get(stats_url)
            sampler = benchlib.Sampler({"serve": serve.pid}, engine.url.database).start()
            figures = {
                "snapshot": summary(timed(lambda: snapshot_once(base, operator), args.repeats)),
                "snapshot_cold": {**summary(cold), "first_ms": benchlib.ms(cold[0])},
                "cells_bbox": summary(timed(lambda: get(cells_url), args.repeats)),
                "stats_month": summary(timed(lambda: get(stats_url), max(5, args.repeats // 2))),
                "search": bench_search.search_figures(
                    engine, base, get, timed, summary, args.repeats
                ),
            }
            usage = sampler.stop()
            leaders = bench_scale_leaders.leader_figures(
                engine, http, base, auth, DISTRICT, args.repeats, serve.pid, args.ledger_place
            )
            http.close()
            for closing in CLOSING:
                closing.join(timeout=30)
        finally:
            code = serve.stop() if serve is not None else None
            engine.dispose()
            benchlib.drop_topics(config)
    doc = {
        "machine": info,
        "parameters": {
            "cells_wanted": args.cells,
            "cases": args.cases,
            "open_days": args.open_days,
            "repeats": args.repeats,
            "ledger_place": args.ledger_place,
            "warmup": args.warmup,
            "grid": grid,
            "history": history,
            "snapshot": "Socket.IO connect → snapshot event, operator of district 330211 "
            "(the whole grid), new client each time",
            "cells_bbox": f"GET {cells_url.split('?')[0]}?bbox=<district bounds>&zoom=12"
            f"&limit=2000 (the maximum page; {in_bbox} cells in the bbox)",
            "stats": f"GET /api/v1/stats/departments?from={first}&to={last} (district operator)",
        },
        "figures": {
            "snapshot_p99_ms": figures["snapshot"]["p99_ms"],
            "cells_bbox_p99_ms": figures["cells_bbox"]["p99_ms"],
            "stats_p99_ms": figures["stats_month"]["p99_ms"],
            "search_p99_ms": {k: v["p99_ms"] for k, v in figures["search"].items()},
            "ranking_quarter_p99_ms": leaders["ranking_quarter"]["p99_ms"],
            "street_notice_s": leaders["street_notice"]["total_s"],
            "year_ledger_s": leaders["year_ledger"]["seconds"],
            "year_ledger_serve_peak_rss_mb": leaders["year_ledger"]["serve_peak_rss_mb"],
            "leaders": leaders,
            "database_size_mb": round(size / 1024 / 1024, 1),
            "detail": figures,
            "cpu_s": usage["cpu_s"],
            "peak_rss_mb": usage["peak_rss_mb"],
            "serve_exit_code": code,
        },
        "targets": {
            "snapshot_p99_ms": "<= 200",
            "cells_bbox_p99_ms": "<= 200",
            "stats_p99_ms": "<= 500",
            "search_p99_ms": "<= 300 each; list_first_page <= 200",
            "ranking_quarter_p99_ms": "<= 500",
            "street_notice_s": "<= 10 (PDF + XLSX)",
            "year_ledger": "streamed; serve's peak RSS reported",
        },  # fmt: skip
    }
    path = benchlib.write_result("scale", doc, benchlib.Path(args.out) if args.out else None)
    print(f"wrote {path}", file=sys.stderr)
    return doc


if __name__ == "__main__":
    main()
