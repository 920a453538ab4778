"""One case as the command center shows it when clicked: the case with its report's text, its
timeline and its photos' ids. Every row is reached by its key (case id, case_event by case,
report_photo by report)."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, Row, text

from services.store.live.cases import CASE_COLUMNS, CASE_FROM
from services.store.scopes import Scope, scope_sql


def case_with_history(
    engine: Engine, scope: Scope, case_id: uuid.UUID
) -> tuple[Row, list[Row], list[Row]] | None:
    """The case in CASE_COLUMNS with its report's description, report_address, channel,
    received_at, moderation flags and attributes (its answers), its category's questions; its
    events (id, type, at, actor, payload) oldest first; its report's photos (id, kind,
    position). None if no such case is in `scope`."""
    where, params = scope_sql(scope)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                f"SELECT {CASE_COLUMNS}, r.description, r.address AS report_address, "
                f"r.channel, r.received_at, r.hidden, r.redacted, r.photos_hidden, "
                f"r.attributes, cat.questions "
                f"FROM {CASE_FROM} WHERE c.id = :case_id AND {where}"
            ),
            {"case_id": case_id, **params},
        ).first()
        if row is None:
            return None
        timeline = conn.execute(
            text(
                "SELECT id, type, at, actor, payload FROM case_event "
                "WHERE case_id = :case_id ORDER BY id"
            ),
            {"case_id": case_id},
        ).all()
        photos = conn.execute(
            text(
                "SELECT id::text AS id, kind, position FROM report_photo "
                "WHERE report_id = :report_id ORDER BY kind DESC, position"
            ),
            {"report_id": uuid.UUID(row.report_id) if row.report_id else None},
        ).all()
    return row, timeline, photos
