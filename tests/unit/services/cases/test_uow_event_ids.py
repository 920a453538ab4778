"""Ids the registration writes: event ids made as text are random version-4 UUIDs in the
canonical form, and an envelope's instant is its UTC text whatever offset it was given."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from services.cases.uow import new_id_texts
from services.envelopes import envelope


def test_event_ids_made_as_text_are_distinct_canonical_version_4_uuids():
    texts = new_id_texts(500)
    assert len(set(texts)) == 500
    for text in texts:
        parsed = uuid.UUID(text)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        assert str(parsed) == text


def test_an_envelope_gives_the_instant_in_utc_and_the_event_id_as_text():
    beijing = timezone(timedelta(hours=8))
    moment = datetime(2026, 3, 2, 9, 30, tzinfo=beijing)
    first = envelope("CaseRegistered", {}, occurred_at=moment, event_id="e-1")
    same_instant = envelope("CaseRegistered", {}, occurred_at=moment.astimezone(UTC))
    assert first["occurred_at"] == same_instant["occurred_at"] == "2026-03-02T01:30:00+00:00"
    assert first["event_id"] == "e-1"
    assert uuid.UUID(same_instant["event_id"]).version == 4
