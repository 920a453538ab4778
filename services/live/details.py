"""One case as the command center shows it when clicked: the case, its report's text and its
answers to the category's extra questions, its timeline and its photos (ids; the page loads
them through the photo endpoint)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Engine

from services.auth.principal import Principal
from services.capture.moderation import as_seen_by, photos_seen_by
from services.domain.questions import answered
from services.live.queries import case_view, event_detail, scope_of
from services.store.live.details import case_with_history


def case_detail(engine: Engine, principal: Principal, case_id: str) -> dict[str, Any] | None:
    """The case with its timeline and photos, or None if it does not exist in `principal`'s
    scope (the two are not told apart; nor is an id that is no UUID)."""
    try:
        key = uuid.UUID(case_id)
    except (ValueError, AttributeError, TypeError):
        return None
    found = case_with_history(engine, scope_of(principal), key)
    if found is None:
        return None
    row, timeline, photos = found
    flags = {"hidden": row.hidden, "redacted": row.redacted, "photos_hidden": row.photos_hidden}
    text_of = as_seen_by(principal, {**flags, "description": row.description,
                                     "address": row.report_address,
                                     "answers": answered(row.questions or [],
                                                         row.attributes or {})})  # fmt: skip
    return {
        "case": case_view(row),
        "report": {
            "id": row.report_id,
            "description": text_of["description"],
            "address": text_of["address"],
            "answers": text_of["answers"],
            "channel": row.channel,
            "received_at": row.received_at.isoformat() if row.received_at else None,
        },
        "timeline": [
            {
                "id": e.id,
                "type": e.type,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "detail": event_detail(e.payload),
                "note": (e.payload or {}).get("note") or "",
            }
            for e in timeline
        ],
        "photos": [
            {"id": p.id, "kind": p.kind, "position": p.position}
            for p in photos_seen_by(principal, flags, photos)
        ],
    }
