"""The report plans of the benchmarks and the drills place the reports of a category farther
apart than its duplicate radius, measured as the router measures (PostGIS, on the spheroid): a
report merged as a duplicate is never dispatched, and a benchmark would count it as lost."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.integration.drills.load import ReportPlan as DrillPlan

ROOT = Path(__file__).resolve().parents[2]


def _benchlib():
    spec = importlib.util.spec_from_file_location("benchlib", ROOT / "scripts" / "benchlib.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _too_close(engine, bodies: list[dict], radius_m: float) -> int:
    """Pairs of the reports within `radius_m` of each other."""
    rows = [{"n": i, "lat": b["location"]["lat"], "lng": b["location"]["lng"]}
            for i, b in enumerate(bodies)]  # fmt: skip
    with engine.begin() as conn:
        return conn.execute(
            text(
                "WITH p AS (SELECT n, ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography AS g "
                "FROM jsonb_to_recordset(CAST(:rows AS jsonb)) "
                "AS x(n int, lat float8, lng float8)) "
                "SELECT count(*) FROM p a JOIN p b ON a.n < b.n AND ST_DWithin(a.g, b.g, :r)"
            ),
            {"rows": json.dumps(rows), "r": radius_m},
        ).scalar_one()


def _every(next_body) -> list[dict]:
    """Every report a plan gives before it runs out of places."""
    bodies = []
    try:
        while True:
            bodies.append(next_body())
    except RuntimeError:
        return bodies


@pytest.fixture(scope="module")
def grid(engine, demo):
    """The benchmarks' module, the district's cells and its widest duplicate radius."""
    benchlib = _benchlib()
    widest = max(benchlib.categories(engine), key=lambda category: category[1])  # first by code
    return benchlib, benchlib.current_cells(engine, "330211"), widest


# One category with the widest radius, and every place the plan gives it: the most pairs near
# that radius (scaled at each point's own latitude, the plans let 2 of ~4,000 come closer).


def test_benchmark_plan_keeps_reports_of_a_category_apart(engine, grid):
    benchlib, cells, (code, radius) = grid
    bodies = _every(benchlib.ReportPlan(cells, [(code, radius)]).body)
    assert len(bodies) > len(cells) // 2
    assert {b["category"] for b in bodies} == {code}
    assert _too_close(engine, bodies, radius) == 0


def test_drill_plan_keeps_reports_of_a_category_apart(engine, grid):
    _, cells, (code, radius) = grid
    plan = DrillPlan(cells, [(code, radius)])
    bodies = _every(lambda: plan.next()[0])
    assert len(bodies) > len(cells) // 2
    assert _too_close(engine, bodies, radius) == 0
