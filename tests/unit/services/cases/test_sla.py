"""SLA arithmetic of the sweeper: warnings at 80 %, overdue at the due time, one escalation
level per further limit, on clock time and on working time."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.cases.sla import RunningLimit, running_limits, sla_actions
from services.domain.calendar import ClockCalendar, WorkingCalendar

CST = ZoneInfo("Asia/Shanghai")
CLOCK = ClockCalendar()
START = datetime(2025, 6, 2, 9, 0, tzinfo=CST)  # a Monday
HOUR = timedelta(hours=1)


def limit(name="resolve", length=10 * HOUR, warned=False, overdue=False) -> RunningLimit:
    return RunningLimit(name, START, START + length, warned, overdue)


@pytest.mark.parametrize(
    ("elapsed", "warned"),
    [(7.9, False), (8.0, True), (9.99, True)],
)
def test_a_warning_comes_at_80_percent_of_the_limit(elapsed, warned):
    todo = sla_actions([limit()], calendar=CLOCK, now=START + elapsed * HOUR, escalation_level=0)
    assert bool(todo.warn) is warned
    assert todo.overdue == () and todo.escalation_level == 0


def test_a_limit_is_warned_about_once():
    todo = sla_actions([limit(warned=True)], calendar=CLOCK, now=START + 9 * HOUR,
                       escalation_level=0)  # fmt: skip
    assert not todo.anything


def test_at_the_due_time_the_case_is_overdue_without_a_warning():
    todo = sla_actions([limit()], calendar=CLOCK, now=START + 10 * HOUR, escalation_level=0)
    assert [lim.limit for lim in todo.overdue] == ["resolve"]
    assert todo.warn == () and todo.escalation_level == 0


@pytest.mark.parametrize(
    ("hours", "level"),
    [(19.9, 0), (20, 1), (29.9, 1), (30, 2), (100, 2)],
)
def test_one_escalation_level_per_further_limit_up_to_the_district(hours, level):
    todo = sla_actions([limit(overdue=True)], calendar=CLOCK, now=START + hours * HOUR,
                       escalation_level=0)  # fmt: skip
    assert todo.overdue == ()
    assert todo.escalation_level == level


def test_escalation_never_goes_down():
    todo = sla_actions([limit(overdue=True)], calendar=CLOCK, now=START + 21 * HOUR,
                       escalation_level=2)  # fmt: skip
    assert todo.escalation_level == 2 and not todo.anything


def test_the_limit_furthest_behind_decides_the_level():
    ack = limit("acknowledge", length=1 * HOUR, overdue=True)
    resolve = limit("resolve", length=10 * HOUR)
    todo = sla_actions([ack, resolve], calendar=CLOCK, now=START + 2 * HOUR, escalation_level=0)
    assert todo.escalation_level == 1 and todo.warn == ()


def test_working_time_skips_nights_and_weekends():
    working = WorkingCalendar()
    friday = datetime(2025, 6, 6, 16, 30, tzinfo=CST)
    due = working.add(friday, 4 * HOUR)  # 1 h on Friday, 3 h on Monday: 11:30
    assert due == datetime(2025, 6, 9, 11, 30, tzinfo=CST)
    lim = RunningLimit("resolve", friday, due, False, False)
    saturday = datetime(2025, 6, 7, 12, 0, tzinfo=CST)
    assert not sla_actions([lim], calendar=working, now=saturday, escalation_level=0).anything
    monday = datetime(2025, 6, 9, 10, 48, tzinfo=CST)  # 1 h + 2 h 18 min = 3.3 h ≥ 3.2 h
    assert sla_actions([lim], calendar=working, now=monday, escalation_level=0).warn == (lim,)


def test_a_holiday_does_not_count_towards_escalation():
    start = datetime(2025, 6, 9, 8, 30, tzinfo=CST)  # Monday
    due = datetime(2025, 6, 9, 14, 0, tzinfo=CST)  # 4 working hours later
    lim = RunningLimit("resolve", start, due, True, True)
    tuesday = datetime(2025, 6, 10, 16, 0, tzinfo=CST)
    plain = WorkingCalendar()
    holiday = WorkingCalendar(holidays=frozenset({date(2025, 6, 10)}))
    assert plain.between(start, due) == holiday.between(start, due) == 4 * HOUR
    # 3.5 h on Monday + 6 h on Tuesday: two further limits; with Tuesday off, less than one.
    assert sla_actions([lim], calendar=plain, now=tuesday, escalation_level=0) \
        .escalation_level == 2  # fmt: skip
    assert sla_actions([lim], calendar=holiday, now=tuesday, escalation_level=0) \
        .escalation_level == 0  # fmt: skip
    wednesday = datetime(2025, 6, 11, 10, 30, tzinfo=CST)  # 3.5 h + 2 h behind
    assert sla_actions([lim], calendar=holiday, now=wednesday, escalation_level=0) \
        .escalation_level == 1  # fmt: skip


def test_running_limits_follow_the_state():
    kw = dict(dispatched_at=START, ack_due=START + HOUR, resolve_due=START + 10 * HOUR)
    assert [lim.limit for lim in running_limits("dispatched", **kw)] == ["acknowledge", "resolve"]
    assert [lim.limit for lim in running_limits("acknowledged", **kw)] == ["resolve"]
    assert running_limits("resolved", **kw) == []
    assert running_limits("dispatched", **{**kw, "dispatched_at": None}) == []


def test_a_warning_is_kept_per_due_time():
    kw = dict(dispatched_at=START, ack_due=None, resolve_due=START + 10 * HOUR)
    [warned] = running_limits("acknowledged", resolve_warned_due=START + 10 * HOUR, **kw)
    [extended] = running_limits("acknowledged", resolve_warned_due=START + 5 * HOUR, **kw)
    assert warned.warned and not extended.warned
