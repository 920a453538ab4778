"""Which envelope event ids the live feed can look up, and under which text."""

from __future__ import annotations

import uuid

import pytest

from services.live.messages import canonical_event_id


def test_an_envelope_id_is_looked_up_as_written():
    event_id = str(uuid.uuid4())
    assert canonical_event_id(event_id) == event_id


@pytest.mark.parametrize("form", [str.upper, lambda s: "{" + s + "}", lambda s: s.replace("-", "")])
def test_other_spellings_of_a_uuid_name_the_same_event(form):
    event_id = str(uuid.uuid4())
    assert canonical_event_id(form(event_id)) == event_id


@pytest.mark.parametrize("value", [None, "", "not-a-uuid", 12, "0" * 36])
def test_what_is_not_a_uuid_names_no_event(value):
    assert canonical_event_id(value) is None
