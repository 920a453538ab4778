"""Benchmark: what leaders read (`./scripts/bench leaders`, `--small` for a quick look).

A scratch database gets the generated grid and history of `bench_scale` (1,000,000 cases over
the last 365 days by default). Then:

* ranking quarter — GET /api/v1/rankings for the current quarter at district level (the
  district's streets) and by department, as the district's leader, against `gridflow serve`;
* street notice — one street's monthly supervision notice built, rendered as PDF and XLSX
  (in this process, as the scheduler does it);
* ledger export — one month's community ledgers of the whole district written as XLSX by
  `gridflow ledger export` in a process of its own, its peak RSS sampled.

Figures: p50/p99 of the rankings, the notice's seconds, the ledger export's seconds and peak
RSS.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

import bench_scale_load
import benchlib
import requests
from sqlalchemy import text

from services.store.db import make_engine

DISTRICT = bench_scale_load.DISTRICT


def street_notice(engine, street: str, now: datetime) -> dict:
    from services.stats.notice_files import notice_pdf, notice_xlsx
    from services.stats.notices import build_notice, last_complete
    from services.stats.ranking import load_schemes

    started = time.monotonic()
    period = last_complete("monthly", now.date(), "Asia/Shanghai")
    body = build_notice(engine, "monthly", street, period, load_schemes("").get(None), now=now)
    built = time.monotonic()
    pdf, xlsx = notice_pdf(body), notice_xlsx(body)
    done = time.monotonic()
    return {"street": street, "from": str(period.first), "to": str(period.last),
            "build_s": round(built - started, 2), "render_s": round(done - built, 2),
            "total_s": round(done - started, 2), "pdf_kb": len(pdf) // 1024,
            "xlsx_kb": len(xlsx) // 1024}  # fmt: skip


def ledger_export(config, month: str) -> dict:
    """`gridflow ledger export` of every community with a case that month, RSS sampled."""
    with tempfile.TemporaryDirectory() as out:
        env = benchlib.config_env(config)
        started = time.monotonic()
        args = [
            benchlib.GRIDFLOW,
            "ledger",
            "export",
            "--month",
            month,
            "--format",
            "xlsx",
            "--out",
            out,
        ]
        proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, benchlib.proc_rss_mb(proc.pid) or 0.0)
            time.sleep(0.05)
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(err.decode()[-500:])
        return {"month": month, "seconds": round(time.monotonic() - started, 2),
                "peak_rss_mb": round(peak, 1), "files": err.decode().strip()}  # fmt: skip


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="5,000 cells and 20,000 cases")
    parser.add_argument("--cells", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    if args.small:
        args.cells, args.cases, args.repeats = 5_000, 20_000, 15
    info = benchlib.machine()
    with benchlib.bench_database("leaders") as db:
        config = benchlib.bench_config(db.app, "leaders", rate_limit_per_minute=1_000_000)
        engine = make_engine(db.owner)
        serve = None
        try:
            grid = bench_scale_load.load_grid(engine, args.cells)
            from services.routing.rulefile import load_demo_rules

            load_demo_rules(engine, actor="bench")
            cells = benchlib.current_cells(engine, DISTRICT)
            reporter = benchlib.make_grid_workers(engine, config, [cells[0][0]], 1, "bench-lead")
            history = bench_scale_load.load_history(engine, args.cases, reporter[0][0], 4.0)
            _, leader = benchlib.make_account(engine, config, "leader", jurisdiction_code=DISTRICT)
            port = benchlib.free_port()
            serve = benchlib.Process("leaders", "serve", ["serve", "--port", str(port)], config)
            serve.wait_for_port(port)
            http = requests.Session()
            auth = {"Authorization": f"Bearer {leader}"}
            base = f"http://127.0.0.1:{port}/api/v1/rankings?period=quarter"
            urls = {"quarter_streets": f"{base}&level=street&within={DISTRICT}",
                    "quarter_departments": f"{base}&level=department"}  # fmt: skip
            figures = {}
            for name, url in urls.items():
                http.get(url, headers=auth, timeout=120).raise_for_status()
                samples = []
                for _ in range(args.repeats):
                    t = time.monotonic()
                    http.get(url, headers=auth, timeout=120).raise_for_status()
                    samples.append(time.monotonic() - t)
                p50, p99 = (benchlib.percentile(samples, q) for q in (50, 99))
                figures[name] = {"p50_ms": benchlib.ms(p50), "p99_ms": benchlib.ms(p99)}
            with engine.connect() as conn:
                street = conn.execute(text(
                    "SELECT street_code FROM case_fact GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
                )).scalar()  # fmt: skip
            now = datetime.now(UTC)
            figures["street_notice"] = street_notice(engine, street, now)
            month = (now.date().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
            figures["ledger_export"] = ledger_export(config, month)
            http.close()
        finally:
            if serve is not None:
                serve.stop()
            engine.dispose()
    doc = {"machine": info,
           "parameters": {"cells_wanted": args.cells, "cases": args.cases,
                          "repeats": args.repeats, "grid": grid, "history": history,
                          "small": args.small},
           "figures": figures,
           "targets": {"quarter_p99_ms": "<= 500", "street_notice_s": "<= 10"}}  # fmt: skip
    path = benchlib.write_result("leaders", doc, benchlib.Path(args.out) if args.out else None)
    print(f"wrote {path}", file=sys.stderr)
    return doc


if __name__ == "__main__":
    main()
