"""The official calendar adapter: chinese_calendar data, admin overrides, office hours."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.calendars import (
    build_working_calendar,
    calendar_from_config,
    covered_years,
    missing_years,
    parse_office_hours,
)
from services.config import Config
from services.domain.calendar import CalendarError

SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)


def test_official_national_day_2025_and_make_up_days():
    cal = build_working_calendar()
    assert not any(cal.is_working_day(date(2025, 10, d)) for d in range(1, 9))
    assert cal.is_working_day(date(2025, 9, 28)) and cal.is_working_day(date(2025, 10, 11))
    start = datetime(2025, 9, 30, 16, 30, tzinfo=SH)
    assert cal.add(start, 4 * H) == datetime(2025, 10, 9, 11, 30, tzinfo=SH)


def test_spring_festival_2026_is_known():
    cal = build_working_calendar()
    assert 2026 in covered_years()
    assert not cal.is_working_day(date(2026, 2, 17))  # Lunar New Year's Day, a Tuesday


def test_years_the_package_lacks_need_overrides():
    assert 2027 in missing_years([2025, 2026, 2027])
    # An admin enters 2027 National Day; the year is then covered and the dates are closed.
    overrides = {date(2027, 10, 1): False, date(2027, 10, 4): False, date(2027, 9, 26): True}
    assert 2027 not in missing_years([2027], overrides)
    cal = build_working_calendar(overrides)
    assert not cal.is_working_day(date(2027, 10, 1))
    assert cal.is_working_day(date(2027, 9, 26))  # a Sunday made a working day


def test_overrides_beat_official_data():
    cal = build_working_calendar({date(2025, 10, 8): True, date(2025, 10, 9): False})
    assert cal.is_working_day(date(2025, 10, 8)) and not cal.is_working_day(date(2025, 10, 9))


def test_office_hours_and_timezone_from_config():
    config = Config(office_hours="09:00-17:00", timezone="Asia/Urumqi")
    cal = calendar_from_config(config)
    assert cal.office_hours == ((time(9), time(17)),) and cal.day_length == 8 * H
    assert str(cal.timezone) == "Asia/Urumqi"
    assert calendar_from_config(Config()).day_length == 7.5 * H


@pytest.mark.parametrize("text", ["08:30", "8h-12h", "08:30-12:00;13:30-17:30", ""])
def test_malformed_office_hours_name_the_setting(text):
    with pytest.raises(CalendarError, match="office_hours"):
        parse_office_hours(text)


def test_unknown_timezone_is_refused():
    with pytest.raises(CalendarError, match="timezone"):
        build_working_calendar(timezone="Mars/Olympus")


def test_office_hours_from_the_environment():
    config = Config.from_env({"GRIDFLOW_ENV": "development", "GRIDFLOW_OFFICE_HOURS": "9:00-17:00"})
    assert calendar_from_config(config).office_hours == ((time(9), time(17)),)


@pytest.mark.parametrize("text", ["25:00-26:00", "08:3-12:00", "-8:00-12:00", "08:30-12:00,"])
def test_out_of_range_office_hours_are_refused(text):
    with pytest.raises(CalendarError, match="office_hours"):
        parse_office_hours(text)


def test_office_hours_are_read_in_order():
    assert parse_office_hours(" 08:30-12:00 , 13:30-17:30") == (
        (time(8, 30), time(12)),
        (time(13, 30), time(17, 30)),
    )


def test_night_shift_across_midnight_is_refused():
    with pytest.raises(CalendarError, match="office_hours"):
        build_working_calendar(office_hours=parse_office_hours("22:00-06:00"))
