"""The patrol API (巡查): worker-day tracks as GeoJSON, coverage of cells on a day, attendance
over a period (JSON and XLSX), in the caller's scope: a grid worker their own patrol and
cells, an operator their district's or street's, an admin everything."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify

from services.api.casework import gridflow
from services.api.openapi import operation
from services.api.patrol_schemas import (
    AttendanceOut,
    AttendanceQuery,
    CoverageOut,
    CoverageQuery,
    TracksOut,
    TracksQuery,
)
from services.auth import ADMIN, GRID_WORKER, OPERATOR, current_principal, requires
from services.http.errors import NotFound
from services.http.validation import query_args
from services.ledger.export import inert
from services.patrol.sheets import attendance_xlsx
from services.patrol.views import attendance_item, coverage_item, scope_of, track_feature
from services.store.patrol import reads

bp = Blueprint("patrol", __name__, url_prefix="/api/v1/patrol")
TAGS = ["patrol"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _today() -> date:
    return datetime.now(ZoneInfo(gridflow().config.timezone)).date()


@bp.get("/tracks")
@operation(
    "Worker-day tracks of a day (GeoJSON) with distance, time on patrol and in own cells",
    tags=TAGS, query=TracksQuery, responses={200: TracksOut}, errors=(404,),
)  # fmt: skip
@requires(GRID_WORKER, OPERATOR, ADMIN)
def tracks():
    q = query_args(TracksQuery)
    scope, day = scope_of(current_principal()), q.day or _today()
    with gridflow().engine.connect() as conn:
        if q.worker is not None and not reads.sees_worker(conn, scope, q.worker):
            raise NotFound("no such grid worker in your scope", field="worker")
        rows = reads.tracks(conn, scope, day, q.worker)
    out = {"type": "FeatureCollection", "day": day.isoformat(),
           "features": [track_feature(r) for r in rows]}  # fmt: skip
    return jsonify(out)


@bp.get("/coverage")
@operation(
    "Coverage of each cell in scope on a day, and cells not patrolled for days",
    tags=TAGS, query=CoverageQuery, responses={200: CoverageOut},
)  # fmt: skip
@requires(GRID_WORKER, OPERATOR, ADMIN)
def coverage():
    q = query_args(CoverageQuery)
    config, day = gridflow().config, q.day or _today()
    with gridflow().engine.connect() as conn:
        rows = reads.coverage(conn, scope_of(current_principal(), q.within), day)
    items = [coverage_item(r, day, config.patrol_idle_days) for r in rows]
    return jsonify({"day": day.isoformat(), "reach_m": config.patrol_reach_m,
                    "idle_days": config.patrol_idle_days, "items": items})  # fmt: skip


def _attendance(q: AttendanceQuery) -> list[dict]:
    """Read from the replica when one serves, like the other reports over a period."""
    with gridflow().reading.connect() as conn:
        rows = reads.attendance(conn, scope_of(current_principal(), q.within), q.first, q.last)
    return [attendance_item(r) for r in rows]


@bp.get("/attendance")
@operation(
    "Attendance per grid worker over a period: days out, hours, km, share in own cells",
    tags=TAGS, query=AttendanceQuery, responses={200: AttendanceOut},
)  # fmt: skip
@requires(GRID_WORKER, OPERATOR, ADMIN)
def attendance():
    q = query_args(AttendanceQuery)
    return jsonify({"from": q.first.isoformat(), "to": q.last.isoformat(),
                    "items": _attendance(q)})  # fmt: skip


@bp.get("/attendance.xlsx")
@operation(
    "Attendance per grid worker over a period, as an XLSX workbook (考勤)",
    tags=TAGS, query=AttendanceQuery, responses={200: (XLSX,)},
)  # fmt: skip
@requires(GRID_WORKER, OPERATOR, ADMIN)
def attendance_sheet():
    q = query_args(AttendanceQuery)
    body = attendance_xlsx(_attendance(q), q.first, q.last, inert)
    name = f"patrol-attendance-{q.first.isoformat()}-{q.last.isoformat()}.xlsx"
    return Response(body, mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
