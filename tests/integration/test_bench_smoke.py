"""Every benchmark runs end to end at a tiny size (`./scripts/bench smoke`), so none rots.

The figures of a smoke run mean nothing; what is checked is that each benchmark ran, measured
what it claims to measure, and that the pipeline it drives lost nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(1200)
def test_every_benchmark_runs_at_a_tiny_size(stack_urls, tmp_path):
    out = tmp_path / "smoke.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDFLOW_")}
    env["GRIDFLOW_DATABASE_URL"], env["GRIDFLOW_KAFKA_BOOTSTRAP_SERVERS"] = stack_urls
    proc = subprocess.run(
        [str(ROOT / "scripts" / "bench"), "smoke", "--out", str(out)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=1150,
    )  # fmt: skip
    assert out.exists(), proc.stderr[-3000:]
    doc = json.loads(out.read_text())
    runs = doc["figures"]
    failed = {name: r.get("error") for name, r in runs.items() if not r["ok"]}
    assert not failed, failed
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert set(runs) == {"ingest", "router", "patrol", "scale", "assign", "live"}
    assert doc["machine"]["cores"] >= 1 and doc["machine"]["git_commit"]

    ingest = runs["ingest"]["figures"]
    assert ingest["accepted_per_s"] > 0
    assert ingest["lost"] == 0 and ingest["duplicates"] == 0
    assert ingest["e2e_p99_ms"] > 0 and ingest["cpu_ms_per_report"] > 0

    router = runs["router"]["figures"]
    assert router["router_msgs_per_s"] > 0 and router["passthrough_msgs_per_s"] > 0
    assert router["ratio"] == pytest.approx(
        router["router_msgs_per_s"] / router["passthrough_msgs_per_s"], rel=0.01
    )

    patrol = runs["patrol"]["figures"]
    assert patrol["pings_per_s"] > 0 and patrol["positions_missing"] == 0

    scale = runs["scale"]["figures"]
    for name in ("snapshot_p99_ms", "cells_bbox_p99_ms", "stats_p99_ms", "database_size_mb"):
        assert scale[name] > 0, name

    assert runs["assign"]["figures"]["project_points_per_s"] > 0

    live = runs["live"]["figures"]
    assert live["connected"] == 60 and live["rss_kb_per_client"] is not None
    assert live["fanout_p99_ms"] > 0 and live["api_p99_ms"] > 0
    assert live["reconnect_all_s"] is not None and live["missed"] == 0 and live["doubled"] == 0
