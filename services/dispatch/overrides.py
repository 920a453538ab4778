"""The calendars of the handlers with the admin's calendar overrides applied (table
`calendar_override`, migration 0006) on top of China's official calendar, and the admin's
commands that change them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from services.cases.uow import UnitOfWork
from services.store import calendar_days
from services.store.audit_log import acting_as


def set_calendar_days(
    uow: UnitOfWork, days: Sequence[tuple[date, bool, str]], *, actor: str
) -> list[dict[str, Any]]:
    """Makes each day working or closed whatever the official calendar says (the admin's
    command; audited under `actor`). Returns the days as stored. The router, the sweeper and
    the API pick the change up on their own (see `load_calendars`)."""
    acting_as(uow.conn, actor)
    return calendar_days.save_days(uow.conn, days, by=actor)


def clear_calendar_day(uow: UnitOfWork, day: date, *, actor: str) -> bool:
    """Removes the admin's decision for `day`, so the official calendar applies again (audited
    under `actor`); False when the day had none."""
    acting_as(uow.conn, actor)
    return calendar_days.delete_day(uow.conn, day)
