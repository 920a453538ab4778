"""Rows in bulk for the store's tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from services.envelopes import envelope

DISTRICT = "990202"  # a district of these tests alone


def add_cases(conn, count: int) -> list[uuid.UUID]:
    """`count` new reported cases (with their reports), in one statement each."""
    prefix = f"T{uuid.uuid4().hex[:8]}-"
    rows = conn.execute(
        text(
            "WITH r AS (INSERT INTO report (id, case_no, channel, category_code, description, "
            "lat, lng, crs, placement, district_code, occurred_at, body_hash) "
            "SELECT gen_random_uuid(), :p || g, 'grid', "
            "(SELECT code FROM category ORDER BY code LIMIT 1), '测试', 29.9, 121.5, 'wgs84', "
            "'inside', :d, now(), md5(:p || g) FROM generate_series(1, :n) g "
            "RETURNING id, case_no, category_code) "
            "INSERT INTO case_file (id, case_no, report_id, state, category_code, priority, "
            "district_code, created_at) SELECT gen_random_uuid(), case_no, id, 'reported', "
            "category_code, 'normal', :d, now() FROM r RETURNING id"
        ),
        {"p": prefix, "d": DISTRICT, "n": count},
    )
    return [r[0] for r in rows]


def event_entries(case_ids: list[uuid.UUID], event_type: str, actor: str) -> list[dict[str, Any]]:
    """One `event_type` event per case, at one instant, as `history.record_events` takes
    them."""
    at = datetime.now(UTC)
    entries = []
    for case_id in case_ids:
        wrapped = envelope(event_type, {"case_id": str(case_id)}, occurred_at=at)
        entries.append({"case_id": str(case_id), "actor": actor, "at": wrapped["occurred_at"],
                        "envelope": wrapped})  # fmt: skip
    return entries


def add_departments(conn, codes, district: str) -> None:
    """Departments of `district` named by their codes (kept when they exist)."""
    for code in codes:
        conn.execute(
            text("INSERT INTO department (code, name_zh, name_en, kind, jurisdiction_code) "
                 "VALUES (:c, :c, :c, 'department', :d) ON CONFLICT (code) DO NOTHING"),
            {"c": code, "d": district},
        )  # fmt: skip
