"""Working time: weekends, China's statutory holidays and make-up days, lunch, nights."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.domain.calendar import (
    CalendarError,
    ClockCalendar,
    WorkingCalendar,
    dates_between,
    due_times,
)

SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
# National Day 2025: 10-01..10-08 off; Sunday 09-28 and Saturday 10-11 are make-up workdays.
NATIONAL_DAY = WorkingCalendar(
    holidays=frozenset(dates_between(date(2025, 10, 1), date(2025, 10, 8))),
    workdays=frozenset({date(2025, 9, 28), date(2025, 10, 11)}),
)


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest.mark.parametrize(
    ("start", "duration", "due"),
    [
        (at(2025, 9, 22, 9), 2 * H, at(2025, 9, 22, 11)),  # plain Monday morning
        (at(2025, 9, 22, 8, 30), 3.5 * H, at(2025, 9, 22, 12)),  # ends at lunch, not after
        (at(2025, 9, 22, 11), 2 * H, at(2025, 9, 22, 14, 30)),  # across the lunch break
        (at(2025, 9, 22, 12, 15), H, at(2025, 9, 22, 14, 30)),  # reported during lunch
        (at(2025, 9, 19, 16, 30), 2 * H, at(2025, 9, 22, 9, 30)),  # across a weekend
        (at(2025, 9, 23, 22), H, at(2025, 9, 24, 9, 30)),  # starting at night
        (at(2025, 9, 24, 6), H, at(2025, 9, 24, 9, 30)),  # early morning
        (at(2025, 9, 20, 10), H, at(2025, 9, 22, 9, 30)),  # starting on a Saturday
        (at(2025, 9, 30, 16, 30), 4 * H, at(2025, 10, 9, 11, 30)),  # across National Day
        (at(2025, 9, 26, 17), H, at(2025, 9, 28, 9)),  # make-up Sunday 09-28 is worked
        (at(2025, 10, 10, 17), H, at(2025, 10, 11, 9)),  # make-up Saturday 10-11 is worked
        (at(2025, 9, 22, 10), 7.5 * H, at(2025, 9, 23, 10)),  # one working day
    ],
)
def test_add_working_time(start, duration, due):
    assert NATIONAL_DAY.add(start, duration) == due
    assert NATIONAL_DAY.between(start, due) == duration


def test_working_days_convert_through_office_hours_length():
    assert NATIONAL_DAY.day_length == 7.5 * H
    assert NATIONAL_DAY.days(1) == 7.5 * H
    # 7 working days from Friday 09-26 10:00: 09-28, 09-29, 09-30, 10-09, 10-10, 10-11, 10-13.
    assert NATIONAL_DAY.add(at(2025, 9, 26, 10), NATIONAL_DAY.days(7)) == at(2025, 10, 13, 10)


def test_is_working_day_follows_holidays_and_make_up_days():
    assert not NATIONAL_DAY.is_working_day(date(2025, 10, 1))  # Wednesday, holiday
    assert not NATIONAL_DAY.is_working_day(date(2025, 9, 27))  # ordinary Saturday
    assert NATIONAL_DAY.is_working_day(date(2025, 9, 28))  # make-up Sunday
    assert NATIONAL_DAY.is_working_day(date(2025, 10, 9))


def test_admin_overrides_beat_the_official_calendar():
    typhoon = WorkingCalendar(
        holidays=NATIONAL_DAY.holidays,
        workdays=NATIONAL_DAY.workdays,
        overrides={date(2025, 10, 9): False, date(2025, 10, 8): True},
    )
    assert typhoon.is_working_day(date(2025, 10, 8)) and not typhoon.is_working_day(
        date(2025, 10, 9)
    )
    assert typhoon.add(at(2025, 9, 30, 16, 30), 4 * H) == at(2025, 10, 8, 11, 30)
    assert typhoon != NATIONAL_DAY and hash(typhoon) != hash(NATIONAL_DAY)


def test_between_counts_only_office_hours_and_is_antisymmetric():
    a, b = at(2025, 9, 22, 11), at(2025, 9, 22, 14)
    assert NATIONAL_DAY.between(a, b) == 1.5 * H
    assert NATIONAL_DAY.between(b, a) == -1.5 * H
    assert NATIONAL_DAY.between(a, a) == timedelta(0)
    # Only closed time in between: the whole National Day week at night.
    assert NATIONAL_DAY.between(at(2025, 9, 30, 18), at(2025, 10, 9, 8)) == timedelta(0)
    # A whole ordinary week is five working days.
    assert NATIONAL_DAY.between(at(2025, 9, 15), at(2025, 9, 22)) == NATIONAL_DAY.days(5)


def test_next_opening():
    assert NATIONAL_DAY.next_opening(at(2025, 9, 22, 10)) == at(2025, 9, 22, 10)
    assert NATIONAL_DAY.next_opening(at(2025, 9, 22, 12)) == at(2025, 9, 22, 13, 30)
    assert NATIONAL_DAY.next_opening(at(2025, 9, 30, 17, 30)) == at(2025, 10, 9, 8, 30)
    assert NATIONAL_DAY.is_working_time(at(2025, 9, 22, 8, 30))
    assert not NATIONAL_DAY.is_working_time(at(2025, 9, 22, 17, 30))


def test_any_timezone_in_calendar_timezone_out():
    start = datetime(2025, 9, 22, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai
    due = NATIONAL_DAY.add(start, H)
    assert due == at(2025, 9, 22, 9, 30) and due.tzinfo == SH


def test_zero_duration_and_bad_input():
    start = at(2025, 9, 20, 3)
    assert NATIONAL_DAY.add(start, timedelta(0)) == start
    with pytest.raises(CalendarError):
        NATIONAL_DAY.add(start, -H)
    with pytest.raises(CalendarError, match="start"):
        NATIONAL_DAY.add(datetime(2025, 9, 22, 9), H)
    with pytest.raises(CalendarError, match="b"):
        NATIONAL_DAY.between(start, datetime(2025, 9, 22, 9))


@pytest.mark.parametrize(
    "hours",
    [
        (),
        ((time(12), time(9)),),
        ((time(8), time(12)), (time(11), time(17))),
        ((time(8, tzinfo=UTC), time(12)),),
    ],
)
def test_bad_office_hours_are_refused(hours):
    with pytest.raises(CalendarError, match="office_hours"):
        WorkingCalendar(office_hours=hours)


def test_configurable_office_hours():
    cal = WorkingCalendar(office_hours=((time(9), time(17)),))
    assert cal.day_length == 8 * H
    assert cal.add(at(2025, 9, 22, 16), 2 * H) == at(2025, 9, 23, 10)


def test_clock_calendar_counts_every_hour():
    clock = ClockCalendar()
    assert clock.add(at(2025, 10, 1, 23), 2 * H) == at(2025, 10, 2, 1)
    assert clock.between(at(2025, 10, 2, 1), at(2025, 10, 1, 23)) == -2 * H
    assert clock.days(2) == 48 * H and clock.next_opening(at(2025, 10, 1, 3)) == at(2025, 10, 1, 3)


def test_due_times_from_dispatch():
    ack, resolve = due_times(NATIONAL_DAY, at(2025, 9, 30, 17), 0.5 * H, 4 * H)
    assert (ack, resolve) == (at(2025, 9, 30, 17, 30), at(2025, 10, 9, 12))
    assert due_times(ClockCalendar(), at(2025, 10, 1, 23), None, 2 * H) == (
        None,
        at(2025, 10, 2, 1),
    )


instants = st.datetimes(
    min_value=datetime(2025, 9, 1), max_value=datetime(2025, 12, 31), timezones=st.just(SH)
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=300))


@settings(database=None, max_examples=200)
@given(start=instants, duration=durations)
def test_between_inverts_add(start, duration):
    due = NATIONAL_DAY.add(start, duration)
    assert due >= start
    assert NATIONAL_DAY.between(start, due) == duration
    if duration:
        assert NATIONAL_DAY.between(start, due - timedelta(microseconds=1)) < duration


@settings(database=None, max_examples=200)
@given(a=instants, b=instants)
def test_add_of_between_lands_no_later_than_the_end(a, b):
    worked = NATIONAL_DAY.between(a, b)
    assert NATIONAL_DAY.between(b, a) == -worked
    if worked > timedelta(0):
        back = NATIONAL_DAY.add(a, worked)
        assert back <= b and NATIONAL_DAY.between(back, b) == timedelta(0)
