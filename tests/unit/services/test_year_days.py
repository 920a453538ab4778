"""The calendar's year view: official holidays and make-up working days, weekends, and the
admin's overrides marked as such."""

from datetime import date

from services.calendars import year_days


def test_a_year_of_days_says_what_each_is():
    days = {d: (working, kind) for d, working, kind in year_days(2025, {})}
    assert len(days) == 365
    assert days[date(2025, 10, 1)] == (False, "holiday")  # 国庆节
    assert days[date(2025, 9, 28)] == (True, "workday")  # a Sunday worked (调休)
    assert days[date(2025, 3, 8)] == (False, "weekend")
    assert days[date(2025, 3, 10)] == (True, "weekday")


def test_an_override_wins_and_is_marked():
    overrides = {date(2025, 10, 1): True, date(2025, 3, 10): False}
    days = {d: (working, kind) for d, working, kind in year_days(2025, overrides)}
    assert days[date(2025, 10, 1)] == (True, "override")
    assert days[date(2025, 3, 10)] == (False, "override")
    assert len(year_days(2028, {})) == 366
