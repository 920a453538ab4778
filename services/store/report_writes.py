"""Writing reports and their photos (tables `report`, `report_photo`, `case_no_counter`,
`outbox`).

Reports are written by one statement (`write_reports`, one report or a batch of them) that
checks their categories, takes the next case numbers, inserts the reports, their photos and their
`ReportCaptured` outbox rows: it is atomic on its own, so it runs outside an explicit
transaction (one round trip, one commit).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, text

from services.store import direct

CHINA_TIME = timezone(timedelta(hours=8))  # case numbers count days in China Standard Time
NO_DISTRICT = "000000"
REPORT_PKEY = "report_pkey"

# Reports come as one JSON array (`jsonb_to_recordset`), each with its place in the batch (`ord`).
# A report already stored under its id (a replay) is found by a lookup of its id (`stored`, a
# scalar subquery: the primary key's index at any size but a few pages). As `NOT EXISTS` it was
# an anti-join, and the plan a pooled connection keeps for the statement, made while `report`
# was small, hashed the whole table on every call as it grew (12,000 reports read per call 40 s
# into the ingest benchmark).
# Case numbers: each (district, China day) counter is advanced once by the number of new reports
# of the batch, which take the numbers in batch order. psycopg placeholders: the statement is
# sent by `services.store.direct` (no SQLAlchemy).
_WRITE = """
    WITH input AS (
        SELECT * FROM jsonb_to_recordset(CAST(%(reports)s AS jsonb)) AS r(
            ord integer, id uuid, prefix text, day date, case_no_prefix text, channel text,
            reporter_id bigint, reporter_name text, reporter_phone text, reporter_email text,
            open311_client_id bigint, category_code text, description text, address text,
            attributes jsonb, lat float8, lng float8, crs text, accuracy_m float8,
            placement text, distance_m float8, cell_id bigint, cell_code text,
            grid_version integer, community_code text, street_code text, district_code text,
            occurred_at timestamptz, received_at timestamptz, handled_on_spot boolean,
            body_hash text, photos jsonb, event_id uuid, topic text, key text,
            event_type text, envelope jsonb)
    ), cat AS (
        SELECT i.ord, c.name_zh, c.name_en, c.priority
        FROM input i JOIN category c ON c.code = i.category_code AND c.active
    ), stored AS (
        SELECT i.ord, (SELECT r.body_hash FROM report r WHERE r.id = i.id) AS body_hash
        FROM input i
    ), fresh AS (
        SELECT i.* FROM input i JOIN cat ON cat.ord = i.ord JOIN stored s ON s.ord = i.ord
        WHERE s.body_hash IS NULL
    ), seq AS (
        INSERT INTO case_no_counter AS c (prefix, day, last)
        SELECT prefix, day, count(*) FROM fresh GROUP BY prefix, day ORDER BY prefix, day
        ON CONFLICT (prefix, day) DO UPDATE SET last = c.last + EXCLUDED.last
        RETURNING c.prefix, c.day, c.last
    ), numbered AS (
        SELECT f.*, f.case_no_prefix || lpad(n.no::text, greatest(5, length(n.no::text)), '0')
                    AS case_no
        FROM (
            SELECT f.ord, s.last - count(*) OVER w + row_number() OVER (w ORDER BY f.ord) AS no
            FROM fresh f JOIN seq s ON s.prefix = f.prefix AND s.day = f.day
            WINDOW w AS (PARTITION BY f.prefix, f.day)
        ) n JOIN fresh f ON f.ord = n.ord
    ), ins AS (
        INSERT INTO report (
            id, case_no, channel, reporter_id, reporter_name, reporter_phone, reporter_email,
            open311_client_id, category_code, description, address, attributes, lat, lng, geom,
            crs, accuracy_m, placement, distance_m, cell_id, cell_code, grid_version,
            community_code, street_code, district_code, occurred_at, received_at,
            handled_on_spot, body_hash)
        SELECT
            id, case_no, channel, reporter_id, reporter_name, reporter_phone, reporter_email,
            open311_client_id, category_code, description, address, attributes, lat, lng,
            CASE WHEN lat IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(lng, lat), 4326) END,
            crs, accuracy_m, placement, distance_m, cell_id, cell_code, grid_version,
            community_code, street_code, district_code, occurred_at, received_at,
            handled_on_spot, body_hash
        FROM numbered ORDER BY ord
        RETURNING id, case_no
    ), photos AS (
        INSERT INTO report_photo (id, report_id, kind, position, media_type, path, thumb_path,
                                  width, height, bytes, sha256)
        SELECT p.id, n.id, p.kind, p.position, p.media_type, p.path, p.thumb_path, p.width,
               p.height, p.bytes, p.sha256
        FROM numbered n JOIN ins ON ins.id = n.id, jsonb_to_recordset(n.photos) AS p(
            id uuid, kind text, position smallint, media_type text, path text, thumb_path text,
            width integer, height integer, bytes integer, sha256 text)
    ), event AS (
        INSERT INTO outbox (event_id, topic, key, event_type, envelope)
        SELECT n.event_id, n.topic, n.key, n.event_type,
               jsonb_set(jsonb_set(n.envelope, '{payload,case_no}', to_jsonb(ins.case_no)),
                         '{payload,priority}', to_jsonb(cat.priority))
        FROM numbered n JOIN ins ON ins.id = n.id JOIN cat ON cat.ord = n.ord
        ORDER BY n.ord
    )
    SELECT i.ord, cat.name_zh, cat.name_en, cat.priority, ins.case_no, s.body_hash
    FROM input i JOIN stored s ON s.ord = i.ord LEFT JOIN cat ON cat.ord = i.ord
    LEFT JOIN ins ON ins.id = i.id
    ORDER BY i.ord
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


@dataclass(frozen=True)
class NewReport:
    """A report to write: its columns (`values`, `case_no` assigned when written), its photo
    rows, and its outbox event (`event_id`, `topic`, `key`, `event_type`, `envelope`; the
    payload's `case_no` and `priority` are filled in when written)."""

    values: dict[str, Any]
    photos: list[dict[str, Any]]
    event: dict[str, Any]


def write_reports(engine: Engine, reports: list[NewReport]) -> list[Written]:
    """Stores reports with their photo rows and outbox events in one statement, committed on
    its own when this returns; one Written per report, in order.

    Case numbers are `{district6}{yyyymmdd}{seq:05}`, per district and China day, given in
    the order of `reports`. A report already stored under its id is left alone (see Written);
    ids must be distinct within one call. Two writers of the same new id race on the primary
    key: the loser's statement fails with a unique violation on `report_pkey` (sqlalchemy
    IntegrityError) and changes nothing, for any report of it (no case number is used up)."""
    rows = []
    for ord_, report in enumerate(reports):
        values, event = report.values, report.event
        prefix, day = case_no_prefix(values["district_code"], values["received_at"])
        rows.append({
            **values,
            "ord": ord_,
            "attributes": values.get("attributes") or {},
            "occurred_at": _utc(values["occurred_at"]),
            "received_at": _utc(values["received_at"]),
            "prefix": prefix,
            "day": day,
            "case_no_prefix": f"{prefix}{day:%Y%m%d}",
            "photos": report.photos,
            "event_id": event["event_id"],
            "topic": event["topic"],
            "key": event["key"],
            "event_type": event["event_type"],
            "envelope": event["envelope"],
        })  # fmt: skip
    params = {"reports": orjson.dumps(rows, default=str).decode()}
    out = []
    for _ord, name_zh, name_en, priority, case_no, stored_hash in direct.fetch_all(
        engine, _WRITE, params
    ):
        category = None
        if priority is not None:
            category = {"name_zh": name_zh, "name_en": name_en, "priority": priority}
        out.append(Written(case_no=case_no, stored_hash=stored_hash, category=category))
    return out


def _utc(moment: datetime) -> datetime:
    # As text PostgreSQL refuses UTC offsets past ±15:59, which ISO 8601 (and the API) allow.
    return moment if moment.utcoffset() is None else moment.astimezone(UTC)


def find_report_hash(conn: Connection, report_id: uuid.UUID) -> str | None:
    """The body hash of the stored report with this id, or None if there is none."""
    return conn.execute(
        text("SELECT body_hash FROM report WHERE id = :id"), {"id": report_id}
    ).scalar()
