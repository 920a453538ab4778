"""The admin's year view of the working calendar: every day of a year, working or closed, and
why (an official holiday or make-up working day, a weekend, or the admin's own decision, which
the days API of services.api.admin sets and clears). Admins only; nothing here writes."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, jsonify
from pydantic import BaseModel, ConfigDict, Field

from services.api.casework import calendars
from services.api.openapi import operation
from services.auth import requires
from services.auth.principal import ADMIN
from services.calendars import covered_years, year_days
from services.http.validation import query_args
from services.store import calendar_days

bp = Blueprint("admin_calendar", __name__, url_prefix="/api/v1/admin/calendar")
TAGS = ["admin"]


class CalendarYearQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=2000, le=2100)


class CalendarYearDay(BaseModel):
    day: date
    working: bool
    kind: str = Field(description="holiday, workday (official), weekend, weekday, or override")
    note: str = ""


class CalendarYearOut(BaseModel):
    year: int
    official: bool = Field(description="whether the official holiday data covers this year")
    office_hours: list[tuple[str, str]]
    days: list[CalendarYearDay]


@bp.get("/year")
@operation("Every day of a year: working or closed, and why (official, weekend, or the "
           "admin's override with its note)", tags=TAGS, query=CalendarYearQuery,
           responses={200: CalendarYearOut}, errors=(422,))  # fmt: skip
@requires(ADMIN)
def year_view():
    query = query_args(CalendarYearQuery)
    with current_app.extensions["gridflow"].engine.connect() as conn:
        rows = calendar_days.day_rows(conn, query.year)
    overrides = {r["day"]: r["working"] for r in rows}
    notes = {r["day"]: r["note"] for r in rows}
    working = calendars().working
    out = CalendarYearOut(
        year=query.year, official=query.year in covered_years(),
        office_hours=[(s.strftime("%H:%M"), e.strftime("%H:%M")) for s, e in working.office_hours],
        days=[CalendarYearDay(day=d, working=w, kind=k, note=notes.get(d, ""))
              for d, w, k in year_days(query.year, overrides)],
    )  # fmt: skip
    return jsonify(out.model_dump(mode="json"))
