"""Reading reports back: one report, a page of them, their photos and timelines, and the
verification tasks of a worker's cells.

A report's `status` is `reported` until a case exists for it; the case join lives in
`STATUS_SQL`/`CASE_JOIN` so the case state (and its department and due times) is one change here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from services.store.cases.history import case_timeline
from services.store.moderation import PHOTOS_WITHHELD_SQL

STATUS_SQL = "coalesce(k.state, 'reported')"
CASE_JOIN = (
    "LEFT JOIN case_file k ON k.report_id = r.id "
    "LEFT JOIN department kd ON kd.code = k.department_code"
)

_REPORT_COLUMNS = f"""
    r.id, r.case_no, r.channel, r.reporter_id, r.category_code, r.description, r.address,
    r.lat, r.lng, r.crs, r.accuracy_m, r.placement, r.distance_m, r.cell_id, r.cell_code,
    r.grid_version, r.community_code, r.street_code, r.district_code, r.occurred_at,
    r.received_at, r.handled_on_spot, r.hidden, r.redacted, r.photos_hidden, r.attributes,
    r.open311_client_id,
    c.name_zh, c.name_en, c.priority, c.ack_limit_minutes, c.resolve_limit_minutes,
    c.around_the_clock, {STATUS_SQL} AS status,
    k.id AS case_id, k.department_code, kd.name_zh AS agency_responsible,
    kd.name_en AS agency_responsible_en, k.ack_due, k.resolve_due, k.merged_into, k.updated_at,
    k.rework_count, (SELECT q.rating FROM case_rating q WHERE q.case_id = k.id) AS rating
"""
_FROM = f"FROM report r JOIN category c ON c.code = r.category_code {CASE_JOIN}"

# Extra timeline sources: functions (conn, report_id) -> [{"at", "event", "note"}].
TIMELINE_SOURCES: list[Callable[[Connection, uuid.UUID], list[dict[str, Any]]]] = [case_timeline]


def get_report(conn: Connection, report_id: uuid.UUID) -> dict[str, Any] | None:
    """The report with its category names and status, or None."""
    row = conn.execute(
        text(f"SELECT {_REPORT_COLUMNS} {_FROM} WHERE r.id = :id"), {"id": report_id}
    ).mappings().first()  # fmt: skip
    return dict(row) if row else None


def reporter_contact(conn: Connection, report_id: uuid.UUID) -> dict[str, Any] | None:
    """The resident's name, phone and e-mail given with a report (Open311, hotline), or None
    when there is none. Only the operators of the report's place may be shown it."""
    row = conn.execute(
        text(
            "SELECT reporter_name AS name, reporter_phone AS phone, reporter_email AS email "
            "FROM report WHERE id = :id"
        ),
        {"id": report_id},
    ).mappings().first()  # fmt: skip
    if row is None or not any(row.values()):
        return None
    return dict(row)


def report_by_phone_digits(
    conn: Connection, case_no: str, last_four: str, channels: list[str]
) -> uuid.UUID | None:
    """The id of the report of this case number whose reporter's phone ends in `last_four`,
    when it came by one of `channels` and is not hidden; else None."""
    return conn.execute(
        text(
            "SELECT id FROM report WHERE case_no = :no AND channel = ANY(:channels) AND NOT hidden "
            "AND right(regexp_replace(reporter_phone, '[^0-9]', '', 'g'), 4) = :last"
        ),
        {"no": case_no, "last": last_four, "channels": channels},
    ).scalar()


def case_no_of(conn: Connection, report_id: uuid.UUID, *, channel: str | None = None) -> str | None:
    """The case number of a report (of `channel` only, when given), or None."""
    where = " AND channel = :channel" if channel is not None else ""
    return conn.execute(
        text(f"SELECT case_no FROM report WHERE id = :id{where}"),
        {"id": report_id, "channel": channel},
    ).scalar()


def get_report_by_case_no(conn: Connection, case_no: str) -> dict[str, Any] | None:
    row = conn.execute(
        text(f"SELECT {_REPORT_COLUMNS} {_FROM} WHERE r.case_no = :no"), {"no": case_no}
    ).mappings().first()  # fmt: skip
    return dict(row) if row else None


def reports_of_reporter(
    conn: Connection, reporter_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """The reports one grid worker filed, newest first: one page and their total count."""
    where, params = "r.reporter_id = :me", {"me": reporter_id}
    total = conn.execute(text(f"SELECT count(*) {_FROM} WHERE {where}"), params).scalar_one()
    return _page(conn, where, params, limit=limit, offset=offset), total


@dataclass(frozen=True)
class Readable:
    """The service requests an Open311 caller may read: those of the public channels and,
    with a key, its client's own; never a hidden one."""

    public_channels: list[str]
    client_id: int | None = None


def service_requests(
    conn: Connection,
    readable: Readable,
    *,
    case_nos: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    codes: list[str] | None = None,
    closed: list[str] | None = None,
    open_only: bool = False,
    limit: int,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Readable requests, newest first, one page: by case number (`case_nos`), or received in
    [start, end] of `codes`; `closed` (the closed states) with `open_only` False keeps the
    closed requests alone, with `open_only` True the others."""
    where = ["NOT r.hidden AND (r.channel = ANY(:public) OR r.open311_client_id = :client)"]
    params: dict[str, Any] = {"public": readable.public_channels, "client": readable.client_id}
    if case_nos is not None:
        where.append("r.case_no = ANY(:ids)")
        params["ids"] = case_nos
    if start is not None:
        where.append("r.received_at >= :start")
        params["start"] = start
    if end is not None:
        where.append("r.received_at <= :end")
        params["end"] = end
    if codes:
        where.append("r.category_code = ANY(:codes)")
        params["codes"] = codes
    if closed is not None:
        where.append(f"{'NOT ' if open_only else ''}({STATUS_SQL}) = ANY(:closed)")
        params["closed"] = closed
    return _page(conn, " AND ".join(where), params, limit=limit, offset=offset)


def _page(
    conn: Connection, where: str, params: dict[str, Any], *, limit: int, offset: int
) -> list[dict[str, Any]]:
    """Reports matching `where` (over columns of `r`), newest first, one page (no count)."""
    rows = conn.execute(
        text(
            f"SELECT {_REPORT_COLUMNS} {_FROM} WHERE {where} "
            "ORDER BY r.received_at DESC, r.id LIMIT :limit OFFSET :offset"
        ),
        {**params, "limit": limit, "offset": offset},
    ).mappings()
    return [dict(r) for r in rows]


def photos_of(conn: Connection, report_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[dict]]:
    """Photo rows per report id, before photos first, in upload order."""
    out: dict[uuid.UUID, list[dict]] = {rid: [] for rid in report_ids}
    if not report_ids:
        return out
    rows = conn.execute(
        text(
            "SELECT id, report_id, kind, media_type, width, height FROM report_photo "
            "WHERE report_id = ANY(:ids) ORDER BY report_id, kind DESC, position"
        ),
        {"ids": report_ids},
    ).mappings()
    for row in rows:
        out[row["report_id"]].append(dict(row))
    return out


def resolution_photos(conn: Connection, case_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """The latest resolution (after) photo of each of these cases that has one."""
    if not case_ids:
        return {}
    rows = conn.execute(
        text(
            "SELECT DISTINCT ON (case_id) case_id, id FROM case_photo "
            "WHERE case_id = ANY(:ids) AND kind = 'resolution' "
            "ORDER BY case_id, created_at DESC, position DESC"
        ),
        {"ids": case_ids},
    )
    return {case_id: photo_id for case_id, photo_id in rows}


def public_after_photo(
    conn: Connection, photo_id: uuid.UUID, channels: list[str]
) -> dict[str, Any] | None:
    """A resolution (after) photo's file, when its report came by a public channel and
    moderation withholds nothing of its photos; else None."""
    row = conn.execute(
        text(
            "SELECT p.path, p.thumb_path, p.media_type FROM case_photo p "
            "JOIN case_file k ON k.id = p.case_id JOIN report r ON r.id = k.report_id "
            f"WHERE p.id = :id AND p.kind = 'resolution' AND NOT {PHOTOS_WITHHELD_SQL} "
            "AND r.channel = ANY(:channels)"
        ),
        {"id": photo_id, "channels": channels},
    ).mappings().first()  # fmt: skip
    return dict(row) if row else None


def photo_file(conn: Connection, photo_id: uuid.UUID) -> dict[str, Any] | None:
    """A photo's file paths and media type, and its report's place and reporter."""
    row = conn.execute(
        text(
            "SELECT p.path, p.thumb_path, p.media_type, r.id AS report_id, r.reporter_id, "
            "r.hidden, r.redacted, r.photos_hidden, r.cell_code, r.community_code, "
            "r.street_code, r.district_code, k.department_code "
            f"FROM report_photo p JOIN report r ON r.id = p.report_id {CASE_JOIN} "
            "WHERE p.id = :id"
        ),
        {"id": photo_id},
    ).mappings().first()  # fmt: skip
    return dict(row) if row else None


def timeline(conn: Connection, report: dict[str, Any]) -> list[dict[str, Any]]:
    """What happened to the report, oldest first."""
    entries = [{"at": report["received_at"], "event": "reported", "note": report["channel"]}]
    if report["handled_on_spot"]:
        entries.append({"at": report["received_at"], "event": "handled_on_spot", "note": None})
    for source in TIMELINE_SOURCES:
        entries += source(conn, report["id"])
    return sorted(entries, key=lambda e: e["at"])


def open_tasks(
    conn: Connection, user_id: int, cell_codes: list[str], limit: int = 200
) -> list[dict[str, Any]]:
    """Open verification tasks in these cells or assigned to this worker, oldest due first."""
    rows = conn.execute(
        text(
            "SELECT t.id, t.status, t.report_id, r.case_no, t.case_ref, t.cell_code, "
            "r.category_code, c.name_zh, c.name_en, c.priority, r.description, r.lat, r.lng, "
            "r.hidden, r.redacted, r.photos_hidden, t.created_at, t.due_at "
            "FROM verification_task t "
            "JOIN report r ON r.id = t.report_id JOIN category c ON c.code = r.category_code "
            "WHERE t.status = 'open' AND (t.cell_code = ANY(:cells) OR t.worker_id = :uid) "
            "ORDER BY t.due_at NULLS LAST, t.id LIMIT :limit"
        ),
        {"cells": cell_codes, "uid": user_id, "limit": limit},
    ).mappings()
    return [dict(r) for r in rows]
