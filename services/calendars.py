"""The working-time calendars, in one place: built from China's official calendar and the
admin's overrides, loaded (`load_calendars`), and a case's due times counted on them
(`case_due_times`). The router and the API hold them in their `ReferenceCache`
(services.cases.reference), which reloads them when the overrides change; the sweeper loads
them at each sweep. The rules themselves are the pure `services.domain.calendar`; the
overrides' rows are `services.store.calendar_days`.

Adapter between the `chinese_calendar` package (the State Council's yearly holiday notices as
data: `chinese_calendar.constants.holidays` and `.workdays`, dicts keyed by date) and the pure
`services.domain.calendar.WorkingCalendar`.

The package only knows the years published when it was released (chinese-calendar 1.11 covers
2004–2026). For a year it lacks — 2027 until the notice appears, usually in November of the
year before — every weekday counts as a working day and no make-up day exists, so admins must
add that year's holidays and make-up days as overrides (date → working or not). `missing_years`
tells the admin screen which years to warn about.

Office hours and the timezone are configurable: `GRIDFLOW_OFFICE_HOURS`
("08:30-12:00,13:30-17:30") and `GRIDFLOW_TIMEZONE` ("Asia/Shanghai"), settings of `Config`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chinese_calendar import constants as official
from sqlalchemy import Connection

from services.config import Config
from services.domain.calendar import (
    DEFAULT_OFFICE_HOURS,
    DEFAULT_TIMEZONE,
    CalendarError,
    ClockCalendar,
    TimeCalendar,
    WorkingCalendar,
    due_times,
)
from services.store.calendar_days import calendar_overrides


def official_holidays() -> frozenset[date]:
    """Every statutory holiday date the installed `chinese_calendar` knows."""
    return frozenset(official.holidays)


def official_workdays() -> frozenset[date]:
    """Every make-up working day (调休) the installed `chinese_calendar` knows."""
    return frozenset(official.workdays)


def covered_years() -> frozenset[int]:
    """The years the installed `chinese_calendar` has official data for."""
    return frozenset(d.year for d in official.holidays) | frozenset(
        d.year for d in official.workdays
    )


def missing_years(years: Iterable[int], overrides: Mapping[date, bool] | None = None) -> list[int]:
    """The years among `years` that neither the package nor any admin override covers: dates
    in them count as plain Monday–Friday working days until an admin enters the holidays."""
    known = covered_years() | {d.year for d in (overrides or {})}
    return sorted(set(years) - known)


def year_days(year: int, overrides: Mapping[date, bool]) -> list[tuple[date, bool, str]]:
    """Every day of `year` as (day, working, kind) for the admin's year view; kind is
    `holiday` or `workday` (official: a statutory holiday, a make-up working day),
    `weekend`, `weekday`, or `override` when an admin's decision makes it `working`."""
    holidays, workdays = official_holidays(), official_workdays()
    out, day = [], date(year, 1, 1)
    while day.year == year:
        if day in overrides:
            out.append((day, overrides[day], "override"))
        elif day in holidays:
            out.append((day, False, "holiday"))
        elif day in workdays:
            out.append((day, True, "workday"))
        else:
            weekend = day.weekday() >= 5
            out.append((day, not weekend, "weekend" if weekend else "weekday"))
        day += timedelta(days=1)
    return out


def _clock(text: str) -> time:
    hours, minutes = text.strip().split(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(text)
    return time(int(hours), int(minutes))


def parse_office_hours(text: str) -> tuple[tuple[time, time], ...]:
    """Parses "08:30-12:00,13:30-17:30" into office intervals. Raises `CalendarError` naming
    the setting for malformed text; order and overlap are checked by `WorkingCalendar`."""
    intervals = []
    for part in text.split(","):
        try:
            start, end = (_clock(p) for p in part.split("-"))
        except ValueError:
            raise CalendarError(
                f"office_hours: {part.strip()!r} is not HH:MM-HH:MM (e.g. 08:30-12:00)"
            ) from None
        intervals.append((start, end))
    return tuple(intervals)


def build_working_calendar(
    overrides: Mapping[date, bool] | None = None,
    *,
    office_hours: tuple[tuple[time, time], ...] = DEFAULT_OFFICE_HOURS,
    timezone: str = DEFAULT_TIMEZONE,
) -> WorkingCalendar:
    """The working calendar of China's official holidays and make-up days, with the admin
    `overrides` (date → True working / False closed) taking precedence. Called at start-up and
    whenever an admin changes an override. Raises `CalendarError` for an unknown timezone or
    bad office hours."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(f"timezone: unknown zone {timezone!r}") from None
    return WorkingCalendar(
        holidays=official_holidays(),
        workdays=official_workdays(),
        office_hours=office_hours,
        timezone=zone,
        overrides=dict(overrides or {}),
    )


def calendar_from_config(
    config: Config, overrides: Mapping[date, bool] | None = None
) -> WorkingCalendar:
    """`build_working_calendar` with office hours and timezone from the process `Config`
    (`GRIDFLOW_OFFICE_HOURS`, `GRIDFLOW_TIMEZONE`; defaults 08:30–12:00, 13:30–17:30 and
    Asia/Shanghai)."""
    hours = config.office_hours
    return build_working_calendar(
        overrides,
        office_hours=parse_office_hours(hours) if hours else DEFAULT_OFFICE_HOURS,
        timezone=config.timezone or DEFAULT_TIMEZONE,
    )


# --- the calendars a case's limits are counted on -------------------------------------------


@dataclass(frozen=True)
class Calendars:
    """The two calendars deadlines are counted on."""

    working: WorkingCalendar
    clock: ClockCalendar

    def for_category(self, around_the_clock: bool) -> TimeCalendar:
        """The clock calendar for around-the-clock categories, the working calendar otherwise."""
        return self.clock if around_the_clock else self.working


def calendars_from_config(config: Config) -> Calendars:
    """Calendars with the configured office hours and timezone (see services.calendars)."""
    working = calendar_from_config(config)
    return Calendars(working=working, clock=ClockCalendar(timezone=working.timezone))


def load_calendars(config: Config, conn: Connection) -> Calendars:
    """Working and clock calendars with the configured office hours and timezone and the
    admin's overrides now stored. Called at start-up and whenever the overrides may have
    changed."""
    working = calendar_from_config(config, calendar_overrides(conn))
    return Calendars(working=working, clock=ClockCalendar(timezone=working.timezone))


def case_due_times(
    calendars: Calendars,
    *,
    around_the_clock: bool,
    start: datetime,
    ack_limit_minutes: int | None,
    resolve_limit_minutes: int | None,
) -> tuple[datetime | None, datetime | None]:
    """(ack_due, resolve_due) of a case dispatched at `start`."""
    return due_times(
        calendars.for_category(around_the_clock),
        start,
        timedelta(minutes=ack_limit_minutes) if ack_limit_minutes else None,
        timedelta(minutes=resolve_limit_minutes) if resolve_limit_minutes else None,
    )
