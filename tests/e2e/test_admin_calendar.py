"""The working calendar's year view in the browser: official holidays and make-up days shown;
a day made closed is marked as the admin's and stored, and given back to the official calendar
again; the home page warns while a coming year's holidays are missing."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import text

from services.calendars import missing_years
from services.store.calendar_days import calendar_overrides
from tests.e2e.test_admin_accounts import admin_page


def _override(engine, day: date):
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT working, note FROM calendar_override WHERE day = :d"), {"d": day}
        ).first()


def test_year_view_marks_official_days_and_the_admins_own(page, live_server, engine):
    # A weekday of a far year (not the one the authorization matrix uses), so no time limit
    # of the run's other tests moves.
    day = date(2098, 1, 1) + timedelta(days=random.randrange(360))
    while day.weekday() >= 5:
        day += timedelta(days=1)
    admin_page(page, live_server, engine)
    page.wait_for_selector("#admin-main:not([hidden])")
    this_year = date.today().year  # the server's zone may differ by a day at New Year
    with engine.connect() as conn:
        missing = missing_years([this_year, this_year + 1], calendar_overrides(conn))
    if missing:
        warning = page.wait_for_selector("#calendar-warning:not([hidden])").inner_text()
        assert f"尚未录入 {', '.join(map(str, missing))} 年的节假日安排" in warning
    else:
        assert page.is_hidden("#calendar-warning")
    page.click("a[href='#calendar']")
    page.wait_for_selector("#cal-months button[data-day]")
    page.fill("#cal-year", "2025")
    page.dispatch_event("#cal-year", "change")
    holiday = page.wait_for_selector("button[data-day='2025-10-01']")
    assert holiday.get_attribute("data-kind") == "holiday"
    assert page.get_attribute("button[data-day='2025-09-28']", "data-kind") == "workday"
    assert "已有" in page.inner_text("#cal-official")

    page.fill("#cal-year", "2098")
    page.dispatch_event("#cal-year", "change")
    cell = f"button[data-day='{day.isoformat()}']"
    page.wait_for_selector(f"{cell}[data-kind='weekday'][data-working='true']")
    assert "尚无官方" in page.inner_text("#cal-official")
    page.click(cell)
    page.fill("#cal-note", "临时停工")
    page.click("#cal-set-closed")
    page.wait_for_selector(f"{cell}[data-kind='override'][data-working='false']")
    assert tuple(_override(engine, day)) == (False, "临时停工")

    page.click(cell)
    assert page.is_visible("#cal-clear")
    page.click("#cal-clear")
    page.wait_for_selector(f"{cell}[data-kind='weekday'][data-working='true']")
    assert _override(engine, day) is None
