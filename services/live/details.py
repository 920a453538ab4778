"""One case as the command center shows it when clicked: the case, its report's text, its
timeline and its photos (ids; the page loads them through the photo endpoint)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Engine, text

from services.auth.principal import Principal
from services.live.queries import CASE_COLUMNS, CASE_FROM, DETAIL_FIELDS, case_view, scope_sql


def case_detail(engine: Engine, principal: Principal, case_id: str) -> dict[str, Any] | None:
    """The case with its timeline and photos, or None if it does not exist in `principal`'s
    scope (the two are not told apart; nor is an id that is no UUID). Every row is reached by
    its key (case id, case_event by case, report_photo by report)."""
    try:
        key = uuid.UUID(case_id)
    except (ValueError, AttributeError, TypeError):
        return None
    where, params = scope_sql(principal)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                f"SELECT {CASE_COLUMNS}, r.description, "
                f"r.channel, r.received_at FROM {CASE_FROM} "
                f"WHERE c.id = :case_id AND {where}"
            ),
            {"case_id": key, **params},
        ).first()
        if row is None:
            return None
        timeline = conn.execute(
            text(
                "SELECT id, type, at, actor, payload FROM case_event "
                "WHERE case_id = :case_id ORDER BY id"
            ),
            {"case_id": key},
        ).all()
        photos = conn.execute(
            text(
                "SELECT id::text AS id, kind, position FROM report_photo "
                "WHERE report_id = :report_id ORDER BY kind DESC, position"
            ),
            {"report_id": uuid.UUID(row.report_id) if row.report_id else None},
        ).all()
    return {
        "case": case_view(row),
        "report": {
            "id": row.report_id,
            "description": row.description,
            "address": row.address,
            "channel": row.channel,
            "received_at": row.received_at.isoformat() if row.received_at else None,
        },
        "timeline": [
            {
                "id": e.id,
                "type": e.type,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "detail": {
                    k: (e.payload or {})[k] for k in DETAIL_FIELDS if k in (e.payload or {})
                },
                "note": (e.payload or {}).get("note") or "",
            }
            for e in timeline
        ],
        "photos": [{"id": p.id, "kind": p.kind, "position": p.position} for p in photos],
    }
