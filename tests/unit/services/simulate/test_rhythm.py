"""The simulated day: rhythm of reports and patrols, department delays, the clock."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from services.simulate.rhythm import (
    HOURLY_WEIGHT,
    SimClock,
    draw_handling,
    on_patrol,
    report_chance,
    walk,
)

DAY = datetime(2026, 3, 2, tzinfo=UTC)


def test_hourly_weights_average_to_one_and_peak_in_working_hours():
    assert sum(HOURLY_WEIGHT) / 24 == pytest.approx(1.0)
    assert max(range(24), key=lambda h: HOURLY_WEIGHT[h]) in (9, 10, 14, 15)
    assert HOURLY_WEIGHT[3] < HOURLY_WEIGHT[10] / 10


def test_reports_per_day_add_up_over_a_day():
    step = timedelta(minutes=1)
    workers = 10
    expected = (
        sum(report_chance(DAY + timedelta(minutes=m), 240, workers, step) for m in range(24 * 60))
        * workers
    )
    assert expected == pytest.approx(240, rel=0.01)


def test_patrols_run_in_office_hours():
    assert on_patrol(DAY.replace(hour=9))
    assert not on_patrol(DAY.replace(hour=12, minute=30))
    assert on_patrol(DAY.replace(hour=17, minute=15))
    assert not on_patrol(DAY.replace(hour=22))


def test_clock_runs_speed_times_faster():
    clock = SimClock(real_start=DAY, start=DAY.replace(hour=8, minute=30), speed=60)
    assert clock.now(DAY + timedelta(minutes=1)) == DAY.replace(hour=9, minute=30)
    assert clock.real_seconds(timedelta(hours=1)) == 60


def test_handling_delays_are_realistic_and_some_cases_run_late():
    rng = random.Random(7)
    plans = [draw_handling(rng) for _ in range(2000)]
    acks = sorted(p.acknowledge_after for p in plans)
    resolves = sorted(p.resolve_after for p in plans)
    assert timedelta(minutes=8) < acks[1000] < timedelta(minutes=18)
    assert timedelta(hours=2) < resolves[1000] < timedelta(hours=3)
    assert 0.08 < sum(p.late for p in plans) / len(plans) < 0.16


def test_a_patrol_step_moves_about_the_step_length():
    rng = random.Random(1)
    lat, lng = walk(rng, 30.0, 121.5, step_m=25)
    metres = ((lat - 30.0) * 111_320) ** 2 + ((lng - 121.5) * 111_320 * 0.866) ** 2
    assert metres**0.5 == pytest.approx(25, rel=0.01)
