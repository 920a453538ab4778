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
* case search — GET /api/v1/operator/cases/search per query kind (bench_search.py).

`--small` runs it all on 2,000 cells and 20,000 cases (a few minutes) and writes its result
to a temporary file unless `--out` says where.

Figures: p50/p99 of each, the database size, and how long loading took.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta

import bench_search
import benchlib
import requests
import socketio
from sqlalchemy import text

from services.store.cases.facts import refold
from services.store.db import make_engine
from streams.topics import ensure_topics

DISTRICT = "330211"
CLOSING: list[threading.Thread] = []


def load_grid(engine, cells_wanted: int) -> dict:
    """The demo district cut into squares sized to give about `cells_wanted` cells."""
    from geo.demo import DEMO_SIZE_M, demo_grid, read_boundary
    from geo.generate import generate_grid
    from geo.importer import lock_grids, write_validated

    demo_cells = len(demo_grid().cells)
    size = DEMO_SIZE_M * (demo_cells / cells_wanted) ** 0.5
    code, name, boundary = read_boundary()
    started = time.monotonic()
    grid = generate_grid(boundary, code, name, shape="square", size_m=size,
                         community_cells=8, street_communities=4)  # fmt: skip
    with engine.begin() as conn:
        lock_grids(conn)
        write_validated(conn, grid, source=f"bench:square:{size:.1f}m", note=None)
    return {"cells": len(grid.cells), "cell_size_m": round(size, 1),
            "seconds": round(time.monotonic() - started, 1)}  # fmt: skip


HISTORY_SQL = [
    "SELECT setseed(0.42)",
    """CREATE TEMP TABLE bc AS SELECT row_number() OVER (ORDER BY c.id) AS n, c.id, c.code,
       c.community_code, c.street_code, c.district_code, c.version_id,
       ST_PointOnSurface(c.geom) AS p
       FROM grid_cell c JOIN grid_version v ON v.id = c.version_id AND v.valid_to IS NULL""",
    """CREATE TEMP TABLE bk AS SELECT row_number() OVER (ORDER BY k.code) AS n, k.code,
       k.priority, k.around_the_clock, r.department_code
       FROM category k JOIN routing_rule r ON r.category_code = k.code AND r.active
       AND r.jurisdiction_code = :district WHERE k.active""",
    # Reports, oldest first, one every 365 days / N.
    """INSERT INTO report (id, case_no, channel, reporter_id, category_code, description, lat,
       lng, geom, crs, accuracy_m, placement, distance_m, cell_id, cell_code, grid_version,
       community_code, street_code, district_code, occurred_at, received_at, body_hash)
       SELECT gen_random_uuid(), 'B' || lpad(s.g::text, 9, '0'), 'grid', :reporter, bk.code,
         '巡查发现问题', ST_Y(bc.p), ST_X(bc.p), bc.p, 'wgs84', 8, 'inside', 0, bc.id, bc.code,
         bc.version_id, bc.community_code, bc.street_code, bc.district_code,
         s.t - interval '2 minutes', s.t, md5(s.g::text)
       FROM (SELECT g, now() - ((:n - g)::float8 / :n) * interval '365 days' AS t,
                    1 + floor(random() * :cells)::int AS cn, 1 + floor(random() * :kinds)::int AS kn
             FROM generate_series(1, :n) g) s
       JOIN bc ON bc.n = s.cn JOIN bk ON bk.n = s.kn
       ORDER BY s.g""",
    # Their cases: older than :open_days mostly closed (3% rejected), newer ones still open.
    """INSERT INTO case_file (id, case_no, report_id, state, category_code, priority,
       around_the_clock, department_code, route_reason, cell_id, cell_code, grid_version,
       community_code, street_code, district_code, geom, created_at, registered_at,
       dispatched_at, acknowledged_at, resolved_at, closed_at, ack_due, resolve_due,
       ack_overdue, resolve_overdue)
       SELECT gen_random_uuid(), r.case_no, r.id, x.state, r.category_code, bk.priority,
         bk.around_the_clock, CASE WHEN x.state = 'rejected' THEN NULL ELSE bk.department_code END,
         'bench history', r.cell_id, r.cell_code, r.grid_version, r.community_code,
         r.street_code, r.district_code, r.geom, r.received_at,
         r.received_at + interval '1 minute',
         CASE WHEN x.state <> 'rejected' THEN r.received_at + interval '2 minutes' END,
         CASE WHEN x.state IN ('acknowledged', 'resolved', 'closed')
              THEN r.received_at + x.ack * interval '1 minute' END,
         CASE WHEN x.state IN ('resolved', 'closed')
              THEN r.received_at + x.fix * interval '1 minute' END,
         CASE WHEN x.state = 'closed' THEN r.received_at + (x.fix + 60) * interval '1 minute' END,
         r.received_at + interval '30 minutes', r.received_at + interval '8 hours',
         x.ack > 30 AND x.state = 'dispatched', x.fix > 480 AND x.state <> 'closed'
       FROM report r JOIN bk ON bk.code = r.category_code
       CROSS JOIN LATERAL (SELECT
         CASE WHEN r.received_at < now() - :open_days * interval '1 day'
              THEN CASE WHEN random() < 0.03 THEN 'rejected' ELSE 'closed' END
              ELSE (ARRAY['dispatched', 'acknowledged', 'resolved', 'closed'])
                   [1 + floor(random() * 4)::int] END AS state,
         5 + floor(random() * 40)::int AS ack,
         60 + floor(random() * 600)::int AS fix) x
       WHERE r.case_no LIKE 'B%'
       ORDER BY r.received_at""",
    """INSERT INTO case_event (event_id, case_id, type, actor, at, payload)
       SELECT gen_random_uuid(), c.id, e.type, 'bench', e.at, '{}'::jsonb
       FROM case_file c CROSS JOIN LATERAL (VALUES
         ('CaseRegistered', c.registered_at), ('CaseRejected',
           CASE WHEN c.state = 'rejected' THEN c.registered_at END),
         ('CaseDispatched', c.dispatched_at), ('CaseAcknowledged', c.acknowledged_at),
         ('CaseResolved', c.resolved_at), ('CaseClosed', c.closed_at)) AS e(type, at)
       WHERE e.at IS NOT NULL AND c.route_reason = 'bench history'
       ORDER BY c.created_at, e.at""",
    """INSERT INTO case_rating (case_id, rating, rated_by, rated_at)
       SELECT c.id, (ARRAY['satisfied', 'satisfied', 'basically_satisfied', 'dissatisfied'])
              [1 + floor(random() * 4)::int], 'reporter', c.closed_at + interval '1 day'
       FROM case_file c WHERE c.state = 'closed' AND random() < 0.33""",
]
HISTORY_TABLES = ("report", "case_file", "case_event", "case_rating")


def load_history(engine, cases: int, reporter: int, open_days: float) -> dict:
    """`cases` reports and cases with their events, loaded in bulk: the tables' secondary
    indexes are dropped during the load and recreated from their own definitions after."""
    started = time.monotonic()
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL statement_timeout = 0"))
        conn.execute(text("SET LOCAL work_mem = '256MB'"))
        indexes = conn.execute(
            text(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.tablename = ANY(:tables) AND i.schemaname = 'public' AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)"
            ),
            {"tables": list(HISTORY_TABLES)},
        ).all()
        for idx in indexes:
            conn.execute(text(f'DROP INDEX "{idx.indexname}"'))
        for sql in HISTORY_SQL[:3]:
            conn.execute(text(sql), {"district": DISTRICT})
        params = {
            "district": DISTRICT, "n": cases, "reporter": reporter, "open_days": open_days,
            "kinds": conn.execute(text("SELECT count(*) FROM bk")).scalar_one(),
            "cells": conn.execute(text("SELECT count(*) FROM bc")).scalar_one(),
        }  # fmt: skip
        for sql in HISTORY_SQL[3:]:
            conn.execute(text(sql), params)
        refold(conn)  # the events were written in bulk, past the writer that folds them
        for idx in indexes:
            conn.execute(text(idx.indexdef))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("SET statement_timeout = 0"))
        conn.execute(text("VACUUM ANALYZE"))
    with engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                  for t in HISTORY_TABLES}  # fmt: skip
        open_cases = conn.execute(
            text("SELECT count(*) FROM case_file WHERE state NOT IN ('closed','rejected','merged')")
        ).scalar_one()
    return {"rows": counts, "open_cases": open_cases,
            "seconds": round(time.monotonic() - started, 1)}  # fmt: skip


def remember(engine, grid: dict, history: dict) -> None:
    """Notes what was loaded on the database itself, for a later --reuse-db run."""
    doc = json.dumps([grid, history]).replace("'", "''")
    with engine.begin() as conn:
        conn.exec_driver_sql(f"COMMENT ON DATABASE \"{engine.url.database}\" IS '{doc}'")


def loaded(engine) -> tuple[dict | None, dict | None]:
    """What an earlier run loaded into this database (kept with --keep-db), or (None, None)."""
    with engine.connect() as conn:
        doc = conn.execute(
            text(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                "WHERE datname = current_database()"
            )  # fmt: skip
        ).scalar()
    if not doc:
        return None, None
    grid, history = json.loads(doc)
    return grid, {**history, "reused": True}


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
            grid, history = loaded(engine)
            if grid is None:
                grid = load_grid(engine, args.cells)
                from services.routing.rulefile import load_demo_rules

                load_demo_rules(engine, actor="bench")
                cells = benchlib.current_cells(engine, DISTRICT)
                reporter = benchlib.make_grid_workers(engine, config, [cells[0][0]], 1,
                                                      "bench-scale")  # fmt: skip
                history = load_history(engine, args.cases, reporter[0][0], args.open_days)
                bench_search.vary_reports(engine)
                remember(engine, grid, history)
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
        },  # fmt: skip
    }
    path = benchlib.write_result("scale", doc, benchlib.Path(args.out) if args.out else None)
    print(f"wrote {path}", file=sys.stderr)
    return doc


if __name__ == "__main__":
    main()
