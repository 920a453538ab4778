"""Due times of a case: its category's limits counted on the right calendar.

Limits are working-time minutes (office hours on China's working days, holidays and make-up
days included) unless the category runs around the clock; both count from the moment the case
is dispatched (the department cannot act before).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from services.calendars import calendar_from_config
from services.config import Config
from services.domain.calendar import ClockCalendar, TimeCalendar, WorkingCalendar, due_times
from services.store.calendar_days import calendar_overrides


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
