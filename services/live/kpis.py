"""Today's figures for a page, in its viewer's scope: the KPI tiles, captured-vs-closed by hour
and open/overdue counts per department. "Today" is the calendar day in the working-time zone
(Asia/Shanghai by default), from local midnight to now.

The tile definitions are those of `services.domain.kpi` (closure on time against the resolve
due time, postponed cases left out; durations from the first dispatch to the last resolution),
applied to the cases that were closed today or fell due today.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine

from services.auth.principal import Principal
from services.domain.calendar import DEFAULT_TIMEZONE
from services.live.queries import scope_of
from services.stats.aggregate import kpis_of
from services.store.live import kpis as store
from services.store.live.cases import serial


def day_start(now: datetime, zone: str = DEFAULT_TIMEZONE) -> datetime:
    """Local midnight of `now`'s day in `zone`, as a UTC instant."""
    local = now.astimezone(ZoneInfo(zone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


Read = Callable[[], Any]


def summary_reads(
    engine: Engine, principal: Principal, now: datetime | None = None, zone: str = DEFAULT_TIMEZONE
) -> tuple[dict[str, Read], Callable[[dict[str, Any]], dict[str, Any]]]:
    """The independent reads behind `summary` (each on its own connection, so a caller may run
    them side by side) and the function that builds the summary from their results."""
    now = now or datetime.now(UTC)
    day = day_start(now, zone)
    today, where, params = store.today_sql(scope_of(principal), day, now, zone)

    def read(fetch: Callable[[Connection, str, dict], Any]) -> Read:
        def run() -> Any:
            with engine.connect() as conn:
                serial(conn)
                return fetch(conn, where, params)

        return run

    def tiles() -> tuple[Any, Any]:
        with engine.connect() as conn:
            serial(conn)
            figures = kpis_of(conn, today, as_of=now, where=where, params=params)
            median_s = store.median_resolve(conn, today, where, params)
        return figures, median_s

    reads = {
        "counts": read(store.counts),
        "tiles": tiles,
        "hourly": read(store.hourly),
        "departments": read(store.departments),
    }

    def build(results: dict[str, Any]) -> dict[str, Any]:
        counts, (figures, median_resolve_s) = results["counts"], results["tiles"]
        by_hour = {r.h: (r.captured, r.closed) for r in results["hourly"]}
        hours = int((now - day) / timedelta(hours=1)) + 1
        return {
            "day": day.isoformat(),
            "kpis": {
                "captured": counts.captured,
                "dispatched": counts.dispatched,
                "resolved": counts.resolved,
                "closed": counts.closed,
                "on_time_rate": figures.on_time_closure_rate,
                "median_resolve_s": median_resolve_s or None,
            },
            "hourly": [
                {
                    "hour": h,
                    "captured": by_hour.get(h, (0, 0))[0],
                    "closed": by_hour.get(h, (0, 0))[1],
                }
                for h in range(min(24, hours))
            ],
            "departments": [
                {
                    "department_code": r.department_code,
                    "name": {"zh": r.name_zh, "en": r.name_en or r.name_zh},
                    "open": r.open,
                    "overdue": r.overdue,
                }
                for r in results["departments"]
            ],
        }

    return reads, build


def summary(
    engine: Engine, principal: Principal, now: datetime | None = None, zone: str = DEFAULT_TIMEZONE
) -> dict[str, Any]:
    """KPI tiles, the hourly chart and the department table for `principal`'s scope."""
    reads, build = summary_reads(engine, principal, now, zone)
    return build({name: run() for name, run in reads.items()})
