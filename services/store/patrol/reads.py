"""What the patrol API, the live map and the ledger read: worker-day tracks (GeoJSON written by
PostgreSQL), coverage of cells on a day with each cell's last patrolled day, attendance over a
period and a community's worker-days of a month, all limited to a `PatrolScope`. Plain
functions over a Connection; they commit nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class PatrolScope:
    """Whose patrol a reader sees: `worker_id` only that worker (and, with `cells`, only those
    cells); every place of `places` (district, street, community or cell codes) must hold a
    cell of the worker, or contain the cell."""

    worker_id: int | None = None
    places: tuple[str, ...] = ()
    cells: tuple[str, ...] | None = None


def _workers(scope: PatrolScope, alias: str) -> tuple[str, dict[str, Any]]:
    conditions, params = [], {}
    if scope.worker_id is not None:
        conditions.append(f"{alias}.worker_id = :scope_worker")
        params["scope_worker"] = scope.worker_id
    for i, place in enumerate(scope.places):
        conditions.append(
            f"EXISTS (SELECT 1 FROM user_cell uc WHERE uc.user_id = {alias}.worker_id "
            f"AND left(uc.cell_code, {len(place)}) = :scope_place{i})"
        )
        params[f"scope_place{i}"] = place
    return " AND ".join(conditions) or "TRUE", params


def _cells(scope: PatrolScope, column: str) -> tuple[str, dict[str, Any]]:
    conditions, params = [], {}
    for i, place in enumerate(scope.places):
        conditions.append(f"left({column}, {len(place)}) = :scope_place{i}")
        params[f"scope_place{i}"] = place
    if scope.cells is not None:
        conditions.append(f"{column} = ANY(:scope_cells)")
        params["scope_cells"] = list(scope.cells)
    return " AND ".join(conditions) or "TRUE", params


def sees_worker(conn: Connection, scope: PatrolScope, worker_id: int) -> bool:
    """Whether `worker_id` is a grid worker within the scope."""
    where, params = _workers(scope, "w")
    sql = (f"SELECT 1 FROM (SELECT id AS worker_id FROM app_user WHERE id = :worker "
           f"AND role = 'grid_worker') w WHERE {where}")  # fmt: skip
    return conn.execute(text(sql), {**params, "worker": worker_id}).first() is not None


def tracks(
    conn: Connection, scope: PatrolScope, day: date, worker_id: int | None = None
) -> list[Any]:
    """The worker-days of `day` in scope (one worker's when given), each with its track as
    GeoJSON text (null without a counted segment) and its figures."""
    where, params = _workers(scope, "d")
    if worker_id is not None:
        where += " AND d.worker_id = :worker"
        params["worker"] = worker_id
    sql = f"""
        SELECT d.worker_id, u.username, u.display_name, d.day, d.first_at, d.last_at, d.points,
               d.flagged, d.segments, d.distance_m, d.patrol_s, d.own_cells_s,
               ST_AsGeoJSON(d.track, 7) AS geometry
        FROM patrol_day d JOIN app_user u ON u.id = d.worker_id
        WHERE d.day = :day AND {where}
        ORDER BY d.worker_id
    """
    return list(conn.execute(text(sql), {**params, "day": day}))


def coverage(conn: Connection, scope: PatrolScope, day: date) -> list[Any]:
    """Every current cell in scope with its coverage on `day` (0 without a row) and the last
    day up to `day` it had any."""
    where, params = _cells(scope, "rtrim(c.code)")
    sql = f"""
        SELECT rtrim(c.code) AS code, c.name, COALESCE(p.share, 0) AS share,
               COALESCE(p.own_share, 0) AS own_share,
               (SELECT max(l.day) FROM patrol_coverage l
                WHERE l.cell_code = rtrim(c.code) AND l.day <= :day) AS last_day
        FROM grid_cell c
        JOIN grid_version v ON v.id = c.version_id AND v.valid_to IS NULL
        LEFT JOIN patrol_coverage p ON p.cell_code = rtrim(c.code) AND p.day = :day
        WHERE {where}
        ORDER BY c.code
    """
    return list(conn.execute(text(sql), {**params, "day": day}))


def attendance(conn: Connection, scope: PatrolScope, first: date, last: date) -> list[Any]:
    """Per grid worker in scope, over the local dates first..last: days out (a day with time
    on patrol), seconds on patrol and in own cells, metres walked (workers with no day too)."""
    where, params = _workers(scope, "w")
    sql = f"""
        SELECT w.worker_id, u.username, u.display_name,
               count(d.day) FILTER (WHERE d.patrol_s > 0) AS days_out,
               COALESCE(sum(d.patrol_s), 0) AS patrol_s,
               COALESCE(sum(d.own_cells_s), 0) AS own_cells_s,
               COALESCE(sum(d.distance_m), 0) AS distance_m
        FROM (SELECT id AS worker_id FROM app_user WHERE role = 'grid_worker' AND active) w
        JOIN app_user u ON u.id = w.worker_id
        LEFT JOIN patrol_day d ON d.worker_id = w.worker_id AND d.day BETWEEN :first AND :last
        WHERE {where}
        GROUP BY w.worker_id, u.username, u.display_name
        ORDER BY u.username
    """
    return list(conn.execute(text(sql), {**params, "first": first, "last": last}))


def community_days(conn: Connection, community_code: str, first: date, last: date) -> list[Any]:
    """The worker-days of the month of the workers of a community's cells, by day and name."""
    where, params = _workers(PatrolScope(places=(community_code,)), "d")
    sql = f"""
        SELECT d.day, u.username, u.display_name, d.first_at, d.last_at, d.distance_m,
               d.patrol_s, d.own_cells_s, d.flagged
        FROM patrol_day d JOIN app_user u ON u.id = d.worker_id
        WHERE d.day BETWEEN :first AND :last AND {where}
        ORDER BY d.day, u.username
    """
    return list(conn.execute(text(sql), {**params, "first": first, "last": last}))
