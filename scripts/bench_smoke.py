"""Benchmark smoke run: every benchmark at a tiny size (`./scripts/bench smoke`).

Runs ingest, router, patrol, scale, assign and live one after the other as subprocesses, each with
sizes that take seconds, their own scratch databases (suffix `_smoke<pid>`) and their results
in a temporary folder, so no full-size result is overwritten. Writes bench/results/smoke.json:
per benchmark whether it ran, how long it took and its headline figures. The test suite runs
this (tests/integration/test_bench_smoke.py) so no benchmark rots; its figures mean nothing.
Exits 1 if any benchmark failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib

TINY = {
    "ingest": ["--accounts", "10", "--rate", "10", "--duration", "2", "--workers", "4",
               "--drain-timeout", "60", "--no-scheduler"],
    "router": ["--messages", "40", "--capture-threads", "2"],
    "patrol": ["--accounts", "10", "--rate", "500", "--batch", "50", "--duration", "2",
               "--workers", "4", "--stream-workers", "10", "--stream-pings", "40",
               "--stream-rate", "200", "--stream-duration", "2"],
    "scale": ["--cells", "1500", "--cases", "3000", "--repeats", "3"],
    "assign": ["--points", "2000", "--single", "200", "--repeats", "1", "--no-realtime"],
    "live": ["--clients", "60", "--measure-s", "4", "--ramp", "200", "--rate", "10"],
}  # fmt: skip
HEADLINES = {
    "ingest": ("accepted_per_s", "e2e_p99_ms", "lost", "duplicates", "cpu_ms_per_report"),
    "router": ("router_msgs_per_s", "passthrough_msgs_per_s", "ratio"),
    "patrol": ("pings_per_s", "e2e_p99_ms", "positions_missing"),
    "scale": ("snapshot_p99_ms", "cells_bbox_p99_ms", "stats_p99_ms", "database_size_mb"),
    "live": ("connected", "rss_kb_per_client", "fanout_p99_ms", "api_p99_ms", "reconnect_all_s",
             "missed", "doubled"),
}  # fmt: skip


def run(name: str, folder: Path) -> dict:
    out = folder / f"{name}.json"
    flag = "--output" if name == "assign" else "--out"
    env = {**os.environ, "BENCH_SUFFIX": f"_smoke{os.getpid()}"}
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).with_name(f"bench_{name}.py")), *TINY[name],
         flag, str(out)],
        env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    entry: dict = {"ok": proc.returncode == 0, "seconds": round(time.monotonic() - started, 1)}
    if proc.returncode == 0:  # a failed run keeps its process logs for a look
        shutil.rmtree(benchlib.LOGS / f"{name}{env['BENCH_SUFFIX']}", ignore_errors=True)
    if proc.returncode != 0 or not out.exists():
        entry["ok"] = False
        entry["error"] = (proc.stderr or proc.stdout)[-3000:]
        return entry
    doc = json.loads(out.read_text())
    figures = doc.get("figures", doc)
    entry["figures"] = {k: figures.get(k) for k in HEADLINES.get(name, ())} or {
        k: v for k, v in doc.items() if k not in ("machine", "parameters")
    }
    return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated subset of " + ",".join(TINY))
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(TINY)
    unknown = [n for n in names if n not in TINY]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    info = benchlib.machine()
    results = {}
    with tempfile.TemporaryDirectory(prefix="gridflow-bench-smoke-") as tmp:
        for name in names:
            results[name] = run(name, Path(tmp))
            status = "ok" if results[name]["ok"] else "FAILED"
            print(f"{name}: {status} in {results[name]['seconds']} s", file=sys.stderr)
    doc = {"machine": info, "parameters": {"sizes": {n: TINY[n] for n in names}},
           "figures": results}  # fmt: skip
    path = benchlib.write_result("smoke", doc, Path(args.out) if args.out else None)
    print(f"wrote {path}", file=sys.stderr)
    return 0 if all(r["ok"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
