"""The patrol as its readers see it: whose patrol a signed-in account may read, and the
tracks, coverage and attendance shaped for the API, the live map and the sheets."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from services.auth.principal import Principal
from services.store.patrol.reads import PatrolScope


def scope_of(me: Principal, within: str | None = None) -> PatrolScope:
    """A grid worker reads their own patrol (and their own cells), an operator their district's
    or street's, an admin everything; `within` narrows it to a place or a cell."""
    places = (within,) if within else ()
    if me.role == "grid_worker":
        return PatrolScope(me.user_id, places, tuple(sorted(me.cell_codes)))
    if me.role == "operator" and me.jurisdiction_code:
        return PatrolScope(None, (me.jurisdiction_code, *places))
    return PatrolScope(None, places)


def share_of(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole > 0 else None


def track_feature(row: Any) -> dict[str, Any]:
    """A worker-day as a GeoJSON Feature (MultiLineString of its counted segments, null
    geometry when it has none) with its figures as properties."""
    return {
        "type": "Feature",
        "id": f"{row.worker_id}:{row.day.isoformat()}",
        "geometry": json.loads(row.geometry) if row.geometry else None,
        "properties": {
            "worker_id": row.worker_id,
            "username": row.username,
            "display_name": row.display_name,
            "day": row.day.isoformat(),
            "first_at": row.first_at.isoformat(),
            "last_at": row.last_at.isoformat(),
            "points": row.points,
            "flagged": row.flagged,
            "segments": row.segments,
            "distance_m": round(row.distance_m, 1),
            "patrol_s": row.patrol_s,
            "own_cells_s": row.own_cells_s,
        },
    }


def coverage_item(row: Any, day: date, idle_days: int) -> dict[str, Any]:
    """A cell's coverage on `day`; `idle` when it had none for the last `idle_days` days."""
    idle = row.last_day is None or (day - row.last_day).days >= idle_days
    return {
        "code": row.code,
        "name": row.name,
        "share": round(row.share, 4),
        "own_share": round(row.own_share, 4),
        "last_patrolled": row.last_day.isoformat() if row.last_day else None,
        "idle": idle,
    }


def attendance_item(row: Any) -> dict[str, Any]:
    """A worker's attendance over a period: days out, hours, km, share of time in own cells."""
    return {
        "worker_id": row.worker_id,
        "username": row.username,
        "display_name": row.display_name,
        "days_out": row.days_out,
        "hours": round(row.patrol_s / 3600, 2),
        "km": round(row.distance_m / 1000, 3),
        "own_cells_share": share_of(row.own_cells_s, row.patrol_s),
    }


def live_change(worker_days: list[tuple[int, date]], cells: list[Any], today: date) -> dict | None:
    """What the live map is told after the processor applied a chunk: today's changed cells
    (absolute coverage) and the workers whose track of today changed; None when nothing of
    today changed (a late batch of another day)."""
    workers = sorted({w for w, d in worker_days if d == today})
    changed = [
        {"code": c.code, "share": round(c.share, 4), "own_share": round(c.own_share, 4)}
        for c in cells
        if c.day == today
    ]
    if not workers and not changed:
        return None
    return {"day": today.isoformat(), "cells": changed, "workers": workers}
