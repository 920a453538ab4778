"""The admin's calendar days (table `calendar_override`, migration 0006): dates made working
or closed on top of China's official calendar, e.g. the next year's holidays and make-up
working days entered from the State Council's notice before the calendar package has them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from services.store.audit_log import acting_as

_COLUMNS = "day, working, note, updated_by, updated_at"


def day_rows(conn: Connection, year: int | None = None) -> list[dict[str, Any]]:
    """The stored days in date order, of one year or all."""
    where = " WHERE day >= make_date(:y, 1, 1) AND day < make_date(:y + 1, 1, 1)" if year else ""
    rows = conn.execute(
        text(f"SELECT {_COLUMNS} FROM calendar_override{where} ORDER BY day"), {"y": year}
    )
    return [dict(r) for r in rows.mappings()]


def save_days(
    conn: Connection, days: Iterable[tuple[date, bool, str]], *, by: str
) -> list[dict[str, Any]]:
    """Creates or replaces each (day, working, note); returns the rows as stored."""
    params = [{"d": d, "w": w, "n": n, "by": by} for d, w, n in days]
    if not params:
        return []
    conn.execute(
        text(
            "INSERT INTO calendar_override (day, working, note, updated_by, updated_at) "
            "VALUES (:d, :w, :n, :by, now()) ON CONFLICT (day) DO UPDATE SET "
            "working = excluded.working, note = excluded.note, "
            "updated_by = excluded.updated_by, updated_at = excluded.updated_at "
            "WHERE (calendar_override.working, calendar_override.note) "
            "IS DISTINCT FROM (excluded.working, excluded.note)"
        ),
        params,
    )
    rows = conn.execute(
        text(f"SELECT {_COLUMNS} FROM calendar_override WHERE day = ANY(:days) ORDER BY day"),
        {"days": [p["d"] for p in params]},
    )
    return [dict(r) for r in rows.mappings()]


def delete_day(conn: Connection, day: date) -> bool:
    """Removes the day's override (the official calendar applies again); False if none."""
    gone = conn.execute(text("DELETE FROM calendar_override WHERE day = :d"), {"d": day})
    return gone.rowcount > 0


def calendar_overrides(conn: Connection) -> dict[date, bool]:
    """Every admin override of the official calendar: date → working (True) or closed."""
    rows = conn.execute(text("SELECT day, working FROM calendar_override"))
    return {day: working for day, working in rows}


def set_calendar_days(
    conn: Connection, days: Iterable[tuple[date, bool, str]], *, actor: str
) -> list[dict[str, Any]]:
    """Makes each day working or closed whatever the official calendar says (the admin's
    command; audited under `actor`). Returns the days as stored. The router, the sweeper and
    the API pick the change up on their own (their reference data's fingerprint covers the
    overrides)."""
    acting_as(conn, actor)
    return save_days(conn, days, by=actor)


def clear_calendar_day(conn: Connection, day: date, *, actor: str) -> bool:
    """Removes the admin's decision for `day`, so the official calendar applies again (audited
    under `actor`); False when the day had none."""
    acting_as(conn, actor)
    return delete_day(conn, day)
