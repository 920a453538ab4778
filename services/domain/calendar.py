"""Working time: China's official calendar (statutory holidays and make-up working days, 调休)
plus office hours, as a small value object with `add(start, duration)` and `between(a, b)`.

Time limits such as "exposed garbage: 4 working hours" or "penalty: 7 working days" count only
office hours on working days. A limit in working days converts with `WorkingCalendar.days(n)`:
one working day is the length of one day's office hours (7.5 h by default: 08:30–12:00 and
13:30–17:30), so "1 working day" from Monday 10:00 is due Tuesday 10:00. Categories that run
around the clock ("missing manhole cover: 2 hours") use `ClockCalendar`, where a day is 24 h.

The calendar is built from data by `services.calendars` (the `chinese_calendar` package plus
admin overrides); this module imports only the standard library.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from types import MappingProxyType
from typing import Protocol
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_OFFICE_HOURS: tuple[tuple[time, time], ...] = (
    (time(8, 30), time(12, 0)),
    (time(13, 30), time(17, 30)),
)
# No real calendar goes this long without a working day; past it the data is broken.
_MAX_SCAN_DAYS = 3660


class CalendarError(ValueError):
    """The calendar's data or an argument is unusable (naive datetime, bad office hours…)."""


def _aware(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise CalendarError(f"{name} must be a timezone-aware datetime")
    return moment.astimezone(UTC)


def _span(start: time, end: time) -> timedelta:
    return datetime.combine(date.min, end) - datetime.combine(date.min, start)


class TimeCalendar(Protocol):
    """What deadline code needs from a calendar: `WorkingCalendar` or `ClockCalendar`."""

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant when `duration` of counted time has elapsed from `start`."""

    def between(self, a: datetime, b: datetime) -> timedelta:
        """The counted time from `a` to `b`, negative when `b` is earlier."""

    def next_opening(self, moment: datetime) -> datetime:
        """The first counted instant at or after `moment`."""

    def days(self, n: float) -> timedelta:
        """The counted time of a limit of `n` days."""


@dataclass(frozen=True)
class WorkingCalendar:
    """Office hours on working days in one timezone.

    A date is a working day when an admin override says so; otherwise not when it is a
    statutory holiday; otherwise yes when it is a make-up working day (调休, usually a weekend);
    otherwise when it is Monday to Friday. Working time is the union of the half-open office
    intervals [start, end) of working days, in `timezone`.
    """

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    office_hours: tuple[tuple[time, time], ...] = DEFAULT_OFFICE_HOURS
    timezone: tzinfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIMEZONE))
    overrides: Mapping[date, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "holidays", frozenset(self.holidays))
        set_(self, "workdays", frozenset(self.workdays))
        set_(self, "overrides", MappingProxyType(dict(self.overrides)))
        hours = tuple((s, e) for s, e in self.office_hours)
        if not hours:
            raise CalendarError("office_hours: at least one interval is needed")
        for i, (start, end) in enumerate(hours):
            if start.tzinfo is not None or end.tzinfo is not None:
                raise CalendarError("office_hours: local wall-clock times, without a timezone")
            if not start < end:
                raise CalendarError(f"office_hours: {start}–{end} must end after it starts")
            if i and hours[i - 1][1] > start:
                raise CalendarError("office_hours: intervals must be sorted and must not overlap")
        set_(self, "office_hours", hours)

    def __hash__(self) -> int:
        items = frozenset(self.overrides.items())
        return hash((self.holidays, self.workdays, self.office_hours, str(self.timezone), items))

    @property
    def day_length(self) -> timedelta:
        """The working time in one working day (7.5 h with the default office hours)."""
        return sum((_span(s, e) for s, e in self.office_hours), timedelta(0))

    def days(self, n: float) -> timedelta:
        """The working time of a limit of `n` working days: `n` × `day_length`."""
        return self.day_length * n

    def is_working_day(self, day: date) -> bool:
        """Whether `day` has office hours: override, else holiday, else make-up day, else
        Monday–Friday."""
        if day in self.overrides:
            return bool(self.overrides[day])
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        return day.weekday() < 5

    def _intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_working_day(day):
            return []
        tz = self.timezone
        return [
            (
                datetime.combine(day, s, tzinfo=tz).astimezone(UTC),
                datetime.combine(day, e, tzinfo=tz).astimezone(UTC),
            )
            for s, e in self.office_hours
        ]

    def _days_from(self, moment_utc: datetime) -> Iterator[date]:
        day = moment_utc.astimezone(self.timezone).date()
        for offset in range(_MAX_SCAN_DAYS):
            yield day + timedelta(days=offset)
        raise CalendarError(f"no working day within {_MAX_SCAN_DAYS} days of {day}")

    def is_working_time(self, moment: datetime) -> bool:
        """Whether `moment` (aware) falls inside office hours of a working day."""
        at = _aware(moment, "moment")
        day = at.astimezone(self.timezone).date()
        return any(s <= at < e for s, e in self._intervals(day))

    def next_opening(self, moment: datetime) -> datetime:
        """The earliest working instant at or after `moment`: `moment` itself inside office
        hours, otherwise the next office opening. Returned in the calendar's timezone."""
        at = _aware(moment, "moment")
        for day in self._days_from(at):
            for s, e in self._intervals(day):
                if at < e:
                    return max(s, at).astimezone(self.timezone)
        raise AssertionError("unreachable")  # _days_from raises first

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant when `duration` of working time has elapsed from `start`: how a due
        time is computed from a dispatch time and a limit.

        Guarantees: aware in, aware out (in the calendar's timezone); starting outside office
        hours counts from the next opening; the result is the earliest such instant, so a limit
        that uses up the morning ends at 12:00, not at 13:30; a zero duration returns `start`;
        `between(start, add(start, d)) == d`. Raises `CalendarError` for a naive `start` or a
        negative duration.
        """
        at = _aware(start, "start")
        if duration < timedelta(0):
            raise CalendarError("duration must not be negative")
        if not duration:
            return at.astimezone(self.timezone)
        remaining = duration
        for day in self._days_from(at):
            for s, e in self._intervals(day):
                if e <= at:
                    continue
                s = max(s, at)
                if remaining <= e - s:
                    return (s + remaining).astimezone(self.timezone)
                remaining -= e - s
        raise AssertionError("unreachable")

    def between(self, a: datetime, b: datetime) -> timedelta:
        """The working time from `a` to `b`: how long a case waited in working hours, or (with
        `b` = now and `a` = due) how far past its due time it is.

        Guarantees: zero when `a == b` or when only closed time lies between; antisymmetric,
        so `between(b, a) == -between(a, b)` (negative when `b` is before `a`); exact to the
        microsecond. Raises `CalendarError` for naive datetimes.
        """
        lo, hi = _aware(a, "a"), _aware(b, "b")
        if hi < lo:
            return -self.between(b, a)
        total = timedelta(0)
        last = hi.astimezone(self.timezone).date()
        for day in self._days_from(lo):
            if day > last:
                break
            for s, e in self._intervals(day):
                overlap = min(e, hi) - max(s, lo)
                if overlap > timedelta(0):
                    total += overlap
        return total


@dataclass(frozen=True)
class ClockCalendar:
    """Around-the-clock time for categories with no office hours (e.g. a missing manhole
    cover): every instant counts and a day is 24 hours."""

    timezone: tzinfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIMEZONE))

    @property
    def day_length(self) -> timedelta:
        """Always 24 hours."""
        return timedelta(days=1)

    def days(self, n: float) -> timedelta:
        """`n` calendar days."""
        return timedelta(days=n)

    def is_working_day(self, day: date) -> bool:
        """Always True."""
        return True

    def is_working_time(self, moment: datetime) -> bool:
        """Always True (after checking `moment` is aware)."""
        _aware(moment, "moment")
        return True

    def next_opening(self, moment: datetime) -> datetime:
        """`moment` itself, in the calendar's timezone."""
        return _aware(moment, "moment").astimezone(self.timezone)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """`start + duration` in absolute time, in the calendar's timezone. Raises
        `CalendarError` for a naive `start` or a negative duration."""
        at = _aware(start, "start")
        if duration < timedelta(0):
            raise CalendarError("duration must not be negative")
        return (at + duration).astimezone(self.timezone)

    def between(self, a: datetime, b: datetime) -> timedelta:
        """`b - a` in absolute time (negative when `b` is earlier)."""
        return _aware(b, "b") - _aware(a, "a")


def due_times(
    calendar: TimeCalendar,
    start: datetime,
    ack_limit: timedelta | None,
    resolve_limit: timedelta | None,
) -> tuple[datetime | None, datetime | None]:
    """The acknowledge and resolve due times of a case dispatched at `start`, both counted
    from `start` on `calendar`. Called when a case is dispatched or sent back for rework. A
    limit of None (the category has none) gives None."""
    ack_due = calendar.add(start, ack_limit) if ack_limit is not None else None
    resolve_due = calendar.add(start, resolve_limit) if resolve_limit is not None else None
    return ack_due, resolve_due


def dates_between(first: date, last: date) -> Iterable[date]:
    """Every date from `first` to `last` inclusive (for building holiday sets from ranges)."""
    return (first + timedelta(days=i) for i in range((last - first).days + 1))
