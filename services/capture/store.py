"""Writing reports and their photos (table `report`, `report_photo`, `case_no_counter`)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, text

CHINA_TIME = timezone(timedelta(hours=8))  # case numbers count days in China Standard Time
NO_DISTRICT = "000000"

_INSERT = text(
    """
    INSERT INTO report (
        id, case_no, channel, reporter_id, reporter_name, reporter_phone, reporter_email,
        open311_client_id, category_code, description, address, attributes, lat, lng, geom,
        crs, accuracy_m, placement, distance_m, cell_id, cell_code, grid_version,
        community_code, street_code, district_code, occurred_at, received_at,
        handled_on_spot, body_hash)
    VALUES (
        :id, :case_no, :channel, :reporter_id, :reporter_name, :reporter_phone, :reporter_email,
        :open311_client_id, :category_code, :description, :address, CAST(:attributes AS jsonb),
        CAST(:lat AS float8), CAST(:lng AS float8),
        CASE WHEN CAST(:lat AS float8) IS NULL THEN NULL
             ELSE ST_SetSRID(ST_MakePoint(CAST(:lng AS float8), CAST(:lat AS float8)), 4326) END,
        :crs, :accuracy_m, :placement, :distance_m, :cell_id, :cell_code, :grid_version,
        :community_code, :street_code, :district_code, :occurred_at, :received_at,
        :handled_on_spot, :body_hash)
    ON CONFLICT (id) DO NOTHING
    RETURNING id
    """
)


def find_report_hash(conn: Connection, report_id: uuid.UUID) -> str | None:
    """The body hash of the stored report with this id, or None if there is none."""
    return conn.execute(
        text("SELECT body_hash FROM report WHERE id = :id"), {"id": report_id}
    ).scalar()


def insert_report(conn: Connection, values: dict[str, Any]) -> bool:
    """Inserts a report unless its id exists (then waits for that row's transaction and
    returns False). `case_no` may be a placeholder, replaced by `assign_case_no`."""
    params = dict(values, attributes=json.dumps(values.get("attributes") or {}))
    return conn.execute(_INSERT, params).first() is not None


def assign_case_no(
    conn: Connection, report_id: uuid.UUID, district_code: str | None, received_at: datetime
) -> str:
    """Gives the report its human case number `{district6}{yyyymmdd}{seq:05}` (per district and
    China day). Call last in the transaction: it holds the counter row until commit."""
    prefix = district_code or NO_DISTRICT
    day = received_at.astimezone(CHINA_TIME).date()
    seq = conn.execute(
        text(
            "INSERT INTO case_no_counter (prefix, day, last) VALUES (:p, :d, 1) "
            "ON CONFLICT (prefix, day) DO UPDATE SET last = case_no_counter.last + 1 "
            "RETURNING last"
        ),
        {"p": prefix, "d": day},
    ).scalar_one()
    case_no = f"{prefix}{day:%Y%m%d}{seq:05d}"
    conn.execute(
        text("UPDATE report SET case_no = :no WHERE id = :id"), {"no": case_no, "id": report_id}
    )
    return case_no


def insert_photo(conn: Connection, values: dict[str, Any]) -> None:
    """One row of `report_photo` (files already written)."""
    conn.execute(
        text(
            "INSERT INTO report_photo (id, report_id, kind, position, media_type, path, "
            "thumb_path, width, height, bytes, sha256) VALUES (:id, :report_id, :kind, "
            ":position, :media_type, :path, :thumb_path, :width, :height, :bytes, :sha256)"
        ),
        values,
    )
