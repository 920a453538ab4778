"""Writing reports and their photos (tables `report`, `report_photo`, `case_no_counter`,
`outbox`).

A report is written by one statement (`write_report`) that checks its category, takes the next
case number, inserts the report, its photos and its `ReportCaptured` outbox row: it is atomic on
its own, so it runs outside an explicit transaction (one round trip, one commit).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, Engine, text

from services.store import direct

CHINA_TIME = timezone(timedelta(hours=8))  # case numbers count days in China Standard Time
NO_DISTRICT = "000000"
REPORT_PKEY = "report_pkey"

# Parameters of a SELECT list have no type PostgreSQL can infer from a column, hence the casts.
# psycopg placeholders: the statement is sent by `services.store.direct` (no SQLAlchemy).
_WRITE = """
    WITH cat AS (
        SELECT name_zh, name_en, priority FROM category WHERE code = %(category_code)s AND active
    ), fresh AS (
        SELECT 1 FROM cat WHERE NOT EXISTS (SELECT 1 FROM report WHERE id = %(id)s)
    ), seq AS (
        INSERT INTO case_no_counter AS c (prefix, day, last)
        SELECT CAST(%(prefix)s AS text), CAST(%(day)s AS date), 1 FROM fresh
        ON CONFLICT (prefix, day) DO UPDATE SET last = c.last + 1
        RETURNING c.last
    ), ins AS (
        INSERT INTO report (
            id, case_no, channel, reporter_id, reporter_name, reporter_phone, reporter_email,
            open311_client_id, category_code, description, address, attributes, lat, lng, geom,
            crs, accuracy_m, placement, distance_m, cell_id, cell_code, grid_version,
            community_code, street_code, district_code, occurred_at, received_at,
            handled_on_spot, body_hash)
        SELECT
            %(id)s, CAST(%(case_no_prefix)s AS text)
                || lpad(seq.last::text, greatest(5, length(seq.last::text)), '0'),
            CAST(%(channel)s AS text), CAST(%(reporter_id)s AS bigint),
            CAST(%(reporter_name)s AS text),
            CAST(%(reporter_phone)s AS text), CAST(%(reporter_email)s AS text),
            CAST(%(open311_client_id)s AS bigint), CAST(%(category_code)s AS text),
            CAST(%(description)s AS text), CAST(%(address)s AS text), CAST(%(attributes)s AS jsonb),
            CAST(%(lat)s AS float8), CAST(%(lng)s AS float8),
            CASE WHEN CAST(%(lat)s AS float8) IS NULL THEN NULL
                 ELSE ST_SetSRID(
                     ST_MakePoint(CAST(%(lng)s AS float8), CAST(%(lat)s AS float8)), 4326)
            END,
            CAST(%(crs)s AS text), CAST(%(accuracy_m)s AS float8), CAST(%(placement)s AS text),
            CAST(%(distance_m)s AS float8), CAST(%(cell_id)s AS bigint),
            CAST(%(cell_code)s AS text),
            CAST(%(grid_version)s AS integer), CAST(%(community_code)s AS text),
            CAST(%(street_code)s AS text), CAST(%(district_code)s AS text),
            CAST(%(occurred_at)s AS timestamptz), CAST(%(received_at)s AS timestamptz),
            CAST(%(handled_on_spot)s AS boolean), CAST(%(body_hash)s AS text)
        FROM seq
        RETURNING case_no
    ), photos AS (
        INSERT INTO report_photo (id, report_id, kind, position, media_type, path, thumb_path,
                                  width, height, bytes, sha256)
        SELECT p.id, %(id)s, p.kind, p.position, p.media_type, p.path, p.thumb_path, p.width,
               p.height, p.bytes, p.sha256
        FROM ins, jsonb_to_recordset(CAST(%(photos)s AS jsonb)) AS p(
            id uuid, kind text, position smallint, media_type text, path text, thumb_path text,
            width integer, height integer, bytes integer, sha256 text)
    ), event AS (
        INSERT INTO outbox (event_id, topic, key, event_type, envelope)
        SELECT CAST(%(event_id)s AS uuid), CAST(%(topic)s AS text), CAST(%(key)s AS text),
               CAST(%(event_type)s AS text),
               jsonb_set(jsonb_set(CAST(%(envelope)s AS jsonb), '{payload,case_no}',
                                   to_jsonb(ins.case_no)),
                         '{payload,priority}', to_jsonb(cat.priority))
        FROM ins, cat
    )
    SELECT cat.name_zh, cat.name_en, cat.priority, (SELECT case_no FROM ins) AS case_no,
           (SELECT body_hash FROM report WHERE id = %(id)s) AS stored_hash
    FROM (SELECT 1) AS one LEFT JOIN cat ON true
    """


@dataclass(frozen=True)
class Written:
    """What `write_report` did: `case_no` is set when the report was inserted; otherwise
    `stored_hash` is the body hash of the report already stored under that id (a replay), and
    both are None when the category is unknown or inactive."""

    case_no: str | None
    stored_hash: str | None
    category: dict[str, str] | None


def case_no_prefix(district_code: str | None, received_at: datetime) -> tuple[str, Any]:
    """The `{district6}{yyyymmdd}` of a case number (China day) and the counter's day."""
    prefix = district_code or NO_DISTRICT
    day = received_at.astimezone(CHINA_TIME).date()
    return prefix, day


def write_report(
    engine: Engine,
    values: dict[str, Any],
    photos: list[dict[str, Any]],
    event: dict[str, Any],
) -> Written:
    """Stores a report with its photo rows and its outbox event in one statement.

    `values` are the report's columns (`case_no` is assigned here: `{district6}{yyyymmdd}
    {seq:05}`, per district and China day); `event` holds `event_id`, `topic`, `key`,
    `event_type` and `envelope` (its payload's `case_no` and `priority` are filled in here).
    A report already stored under the id is left alone (see Written). Two writers of the same
    new id race on the primary key: the loser's statement fails with a unique violation on
    `report_pkey` (sqlalchemy IntegrityError) and changes nothing (no case number is used up).
    The statement runs on its own on a pooled connection and has committed when this returns.
    """
    prefix, day = case_no_prefix(values["district_code"], values["received_at"])
    params = {
        **values,
        "attributes": json.dumps(values.get("attributes") or {}),
        "prefix": prefix,
        "day": day,
        "case_no_prefix": f"{prefix}{day:%Y%m%d}",
        "photos": json.dumps(photos, default=str),
        "event_id": event["event_id"],
        "topic": event["topic"],
        "key": event["key"],
        "event_type": event["event_type"],
        "envelope": json.dumps(event["envelope"], ensure_ascii=False),
    }
    name_zh, name_en, priority, case_no, stored_hash = direct.fetch_one(engine, _WRITE, params)
    category = None
    if priority is not None:
        category = {"name_zh": name_zh, "name_en": name_en, "priority": priority}
    return Written(case_no=case_no, stored_hash=stored_hash, category=category)


def find_report_hash(conn: Connection, report_id: uuid.UUID) -> str | None:
    """The body hash of the stored report with this id, or None if there is none."""
    return conn.execute(
        text("SELECT body_hash FROM report WHERE id = :id"), {"id": report_id}
    ).scalar()
