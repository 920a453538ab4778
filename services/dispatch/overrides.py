"""The calendars of the handlers with the admin's calendar overrides applied (table
`calendar_override`, migration 0006) on top of China's official calendar."""

from __future__ import annotations

from sqlalchemy import Connection

from services.calendars import calendar_from_config
from services.config import Config
from services.dispatch.timing import Calendars
from services.domain.calendar import ClockCalendar
from services.store.handling import calendar_overrides


def load_calendars(config: Config, conn: Connection) -> Calendars:
    """Working and clock calendars with the configured office hours and timezone and the
    overrides now stored. Called at start-up and whenever the overrides may have changed."""
    working = calendar_from_config(config, calendar_overrides(conn))
    return Calendars(working=working, clock=ClockCalendar(timezone=working.timezone))
