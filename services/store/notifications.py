"""Notifications to reporters (migration 0020): queued once per (event, recipient), sent in
order per recipient, retried, dead-lettered. Plain functions over a Connection in the
caller's transaction; they commit nothing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from services.store.jsonrows import json_rows


def reporter_of_case(conn: Connection, case_id: uuid.UUID) -> dict[str, Any] | None:
    """What notifying a case's reporter needs: the report's channel, id (the tracking token),
    case number, phone, reporting account (a grid worker's), moderation flags, the Open311
    client's webhook and secret, the case's state, department and due time (for the status
    line) and its district (whose SMS gateway texts it)."""
    row = conn.execute(
        text(
            "SELECT r.id AS report_id, r.case_no, r.channel, r.reporter_phone, r.hidden, "
            "r.reporter_id, "
            "o.id AS client_id, o.webhook_url, o.webhook_secret, k.state AS status, "
            "d.name_zh AS agency_responsible, d.name_en AS agency_responsible_en, "
            "k.resolve_due, k.rework_count, coalesce(k.district_code, r.district_code) "
            "AS district_code FROM case_file k JOIN report r ON r.id = k.report_id "
            "LEFT JOIN open311_client o ON o.id = r.open311_client_id AND o.revoked_at IS NULL "
            "LEFT JOIN department d ON d.code = k.department_code WHERE k.id = :c"
        ),
        {"c": case_id},
    ).mappings().first()  # fmt: skip
    return dict(row) if row else None


def queue_notifications(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Queues notifications (event_id, recipient, channel, case_id, event_type, target, body);
    one already queued for the same event and recipient is left as it is. Returns how many
    were new."""
    if not rows:
        return 0
    result = conn.execute(
        text(
            "INSERT INTO notification (event_id, recipient, channel, case_id, event_type, "
            "target, body) SELECT event_id, recipient, channel, case_id, event_type, target, "
            "body FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS n(event_id uuid, "
            "recipient text, channel text, case_id uuid, event_type text, target text, "
            "body jsonb) ON CONFLICT ON CONSTRAINT notification_once DO NOTHING"
        ),
        {"rows": json_rows(list(rows))},
    )
    return result.rowcount


def due_heads(conn: Connection, now: datetime, limit: int = 100) -> list[dict[str, Any]]:
    """Per recipient, its oldest pending notification, when that one is due (a recipient whose
    head waits for a retry sends nothing after it: its order is kept). Locked, skipping rows
    another notifier holds."""
    rows = conn.execute(
        text(
            "SELECT n.* FROM notification n WHERE n.id IN (SELECT DISTINCT ON (recipient) id "
            "FROM notification WHERE status = 'pending' ORDER BY recipient, id) "
            "AND n.next_at <= :now ORDER BY n.id LIMIT :limit FOR UPDATE SKIP LOCKED"
        ),
        {"now": now, "limit": limit},
    ).mappings()
    return [dict(r) for r in rows]


def mark_delivered(conn: Connection, notification_id: int, at: datetime) -> None:
    conn.execute(
        text(
            "UPDATE notification SET status = 'delivered', attempts = attempts + 1, "
            "delivered_at = :at, last_error = NULL WHERE id = :id"
        ),
        {"id": notification_id, "at": at},
    )


def mark_failed(
    conn: Connection, notification_id: int, *, error: str, retry_at: datetime | None
) -> None:
    """Records a failed attempt: retried at `retry_at`, or dead (no more attempts) when None."""
    conn.execute(
        text(
            "UPDATE notification SET attempts = attempts + 1, last_error = :error, "
            "status = CASE WHEN CAST(:retry_at AS timestamptz) IS NULL THEN 'dead' "
            "ELSE 'pending' END, next_at = coalesce(CAST(:retry_at AS timestamptz), next_at) "
            "WHERE id = :id"
        ),
        {"id": notification_id, "error": error[:2000], "retry_at": retry_at},
    )


def list_notifications(conn: Connection, status: str, limit: int = 200) -> list[dict[str, Any]]:
    """Notifications of a status, newest first (admins: the dead letters)."""
    rows = conn.execute(
        text(
            "SELECT n.id, n.event_id, n.recipient, n.channel, n.case_id, c.case_no, n.event_type, "
            "n.status, n.attempts, n.last_error, n.created_at, n.next_at, n.delivered_at "
            "FROM notification n LEFT JOIN case_file c ON c.id = n.case_id "
            "WHERE n.status = :status ORDER BY n.id DESC LIMIT :limit"
        ),
        {"status": status, "limit": limit},
    ).mappings()
    return [dict(r) for r in rows]


def app_recipient(account_id: int) -> str:
    """The recipient of an account's notifications in the phone app."""
    return f"app:{account_id}"


def app_notifications(conn: Connection, account_id: int, limit: int = 50) -> dict[str, Any]:
    """An account's notifications in the phone app, newest first, and how many of all of them
    are unread: every one queued, whether its live push has gone out yet or not (a push that
    failed until dead-lettered is still listed here)."""
    recipient = app_recipient(account_id)
    rows = conn.execute(
        text(
            "SELECT id, event_type, case_id, body, created_at, read_at FROM notification "
            "WHERE channel = 'app' AND recipient = :r ORDER BY id DESC LIMIT :limit"
        ),
        {"r": recipient, "limit": limit},
    ).mappings()
    unread = conn.execute(
        text(
            "SELECT count(*) FROM notification WHERE channel = 'app' AND recipient = :r "
            "AND read_at IS NULL"
        ),
        {"r": recipient},
    ).scalar_one()
    return {"items": [dict(r) for r in rows], "unread": unread}


def mark_app_read(conn: Connection, account_id: int, up_to: int, at: datetime) -> int:
    """Marks an account's app notifications up to id `up_to` read; returns how many were
    unread."""
    return conn.execute(
        text(
            "UPDATE notification SET read_at = :at WHERE channel = 'app' AND recipient = :r "
            "AND id <= :up_to AND read_at IS NULL"
        ),
        {"r": app_recipient(account_id), "up_to": up_to, "at": at},
    ).rowcount
