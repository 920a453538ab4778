"""KPI arithmetic against figures computed by hand for a small set of cases."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.domain.calendar import WorkingCalendar
from services.domain.events import Satisfaction
from services.domain.kpi import KpiFacts, compute_kpis, kpis_by, median, percentile
from services.domain.states import CaseState

S = CaseState
T0 = datetime(2025, 9, 22, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday
AS_OF = datetime(2025, 10, 20, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
M, H = timedelta(minutes=1), timedelta(hours=1)


def facts(case_id, state, **kw):
    return KpiFacts(case_id, state, kw.pop("reported_at", T0), **kw)


CASES = [
    # A: closed on time, satisfied.
    facts("A", S.closed, department_code="SAN", dispatched_at=T0 + 10 * M,
          acknowledged_at=T0 + 40 * M, resolved_at=T0 + 3 * H, closed_at=T0 + 4 * H,
          resolve_due=T0 + 4 * H, resolutions=1, rating=Satisfaction.satisfied),
    # B: reworked once, resolved after its due time, basically satisfied.
    facts("B", S.closed, department_code="SAN", dispatched_at=T0 + 20 * M,
          acknowledged_at=T0 + 80 * M, resolved_at=T0 + 30 * H, closed_at=T0 + 31 * H,
          resolve_due=T0 + 24 * H, resolutions=2, failed_verifications=1,
          rating=Satisfaction.basically_satisfied),
    # C: handled on the spot by the grid worker, dissatisfied.
    facts("C", S.closed, closed_at=T0 + 15 * M, rating=Satisfaction.dissatisfied),
    # D: still open, past its due time.
    facts("D", S.acknowledged, department_code="ROAD", dispatched_at=T0 + 5 * M,
          acknowledged_at=T0 + 125 * M, resolve_due=T0 + 8 * H),
    # E: open, extension approved, due later than AS_OF.
    facts("E", S.dispatched, department_code="ROAD", dispatched_at=T0 + 10 * M,
          resolve_due=AS_OF + 240 * H, postponed=True),
    # F: postponed, then closed.
    facts("F", S.closed, department_code="ROAD", dispatched_at=T0 + H, acknowledged_at=T0 + 2 * H,
          resolved_at=T0 + 50 * H, closed_at=T0 + 51 * H, resolve_due=T0 + 60 * H,
          postponed=True, resolutions=1),
    # Outside the loop: never counted.
    facts("G", S.rejected, rating=Satisfaction.dissatisfied),
    facts("H", S.reported),
    facts("I", S.merged, resolutions=3),
]  # fmt: skip


def test_hand_computed_figures():
    k = compute_kpis(CASES, as_of=AS_OF)
    assert (k.cases, k.closed) == (6, 4)
    assert k.closure_rate == pytest.approx(4 / 6)
    # Due: A, B, C, F (closed) + D (past due); E is not due yet. F is postponed.
    assert (k.due_for_closure, k.postponed, k.closed_on_time) == (5, 1, 2)
    assert k.on_time_closure_rate == pytest.approx(2 / 4)
    assert (k.resolutions, k.failed_verifications, k.rework_rate) == (4, 1, 0.25)
    assert (k.dispatched, k.extension_rate) == (5, 0.4)
    # Acknowledge: 30, 60, 120, 60 minutes.
    assert (k.acknowledge_median, k.acknowledge_p90) == (60 * M, 120 * M)
    # Resolve: 170, 1780, 2940 minutes.
    assert (k.resolve_median, k.resolve_p90) == (1780 * M, 2940 * M)
    # Close: 240, 1860, 15, 3060 minutes.
    assert (k.close_median, k.close_p90) == (1050 * M, 3060 * M)
    assert (k.rated, k.satisfied, k.basically_satisfied, k.dissatisfied) == (3, 1, 1, 1)
    assert k.satisfaction_rate == pytest.approx(2 / 3)
    assert k.full_satisfaction_rate == pytest.approx(1 / 3)


def test_durations_in_working_time_with_a_calendar():
    k = compute_kpis(CASES, as_of=AS_OF, calendar=WorkingCalendar())
    # A 09:10→12:00 = 170 min; B Mon 09:20 → Tue 15:00 = 6h40 + 5h; F Mon 10:00 → Wed 11:00 = 16h.
    assert (k.resolve_median, k.resolve_p90) == (700 * M, 960 * M)


def test_empty_input_and_zero_denominators_give_none():
    k = compute_kpis([], as_of=AS_OF)
    assert k.cases == 0 and k.closure_rate is None and k.on_time_closure_rate is None
    assert k.rework_rate is None and k.satisfaction_rate is None and k.close_p90 is None
    only_open = compute_kpis([facts("X", S.registered)], as_of=AS_OF)
    assert only_open.closure_rate == 0 and only_open.extension_rate is None


def test_as_dict_is_json_ready():
    d = compute_kpis(CASES, as_of=AS_OF).as_dict()
    assert d["acknowledge_median"] == 3600.0 and d["rework_rate"] == 0.25
    assert json.loads(json.dumps(d)) == d


def test_per_department():
    by = kpis_by(CASES, lambda f: f.department_code, as_of=AS_OF)
    assert list(by) == ["SAN", None, "ROAD"]
    assert (by["SAN"].closed, by["SAN"].on_time_closure_rate) == (2, 0.5)
    assert (by["ROAD"].cases, by["ROAD"].extension_rate) == (3, pytest.approx(2 / 3))
    assert by[None].cases == 1  # C; G, H and I are outside the loop


def test_median_and_nearest_rank_percentile():
    values = [timedelta(minutes=m) for m in (5, 1, 4, 2, 3, 10, 7, 6, 9, 8)]
    assert median(values) == timedelta(minutes=5, seconds=30)
    assert percentile(values, 90) == 9 * M and percentile(values, 100) == 10 * M
    assert percentile([M], 90) == M and percentile([], 90) is None and median([]) is None
    with pytest.raises(ValueError):
        percentile(values, 0)


def test_supervisions_and_urgings_are_counted_per_department_in_the_loop_only():
    pressed = [
        facts("P", S.acknowledged, department_code="ROAD", dispatched_at=T0, supervisions=2,
              urgings=1),
        facts("Q", S.dispatched, department_code="ROAD", dispatched_at=T0, urgings=3),
        facts("R", S.closed, department_code="SAN", dispatched_at=T0, closed_at=T0 + H,
              supervisions=1),
        facts("S", S.merged, department_code="SAN", supervisions=4, urgings=4),
    ]  # fmt: skip
    whole = compute_kpis(pressed, as_of=AS_OF)
    assert (whole.supervisions, whole.urgings) == (3, 4)
    by = kpis_by(pressed, lambda f: f.department_code, as_of=AS_OF)
    assert {k: (v.supervisions, v.urgings) for k, v in by.items()} == {
        "ROAD": (2, 4), "SAN": (1, 0)}  # fmt: skip
    assert whole.as_dict()["supervisions"] == 3
