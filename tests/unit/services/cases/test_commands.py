"""Building RegisterReport from a ReportCaptured payload: every malformed field is named."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from services.cases.commands import RegisterReport
from services.cases.errors import InvalidCommand

EVENT = uuid.uuid4()


def payload(**changes):
    body = {
        "report_id": str(uuid.uuid4()),
        "case_no": "33021120250930" + "00001",
        "category_code": "201001",
        "received_at": "2025-09-30T08:00:00+00:00",
        "handled_on_spot": False,
        "lat": 29.95,
        "lng": 121.71,
        "cell_id": 12,
        "cell_code": "330211007001001",
        "grid_version": 1,
        "community_code": "330211007001",
        "street_code": "330211007",
        "district_code": "330211",
    }
    body.update(changes)
    return body


def test_a_complete_payload_becomes_the_command():
    body = payload()
    cmd = RegisterReport.from_payload(EVENT, body)
    assert cmd.report_id == uuid.UUID(body["report_id"])
    assert cmd.received_at == datetime(2025, 9, 30, 8, 0, tzinfo=UTC)
    assert (cmd.cell_code, cmd.district_code, cmd.cell_id) == ("330211007001001", "330211", 12)
    assert cmd.event_id == EVENT and cmd.handled_on_spot is False


def test_a_report_outside_every_cell_has_no_cell():
    cmd = RegisterReport.from_payload(
        EVENT, payload(cell_id=None, cell_code=None, community_code=None, street_code=None)
    )
    assert cmd.cell_code is None and cmd.district_code == "330211"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"report_id": None}, "report_id"),
        ({"report_id": "42"}, "report_id"),
        ({"case_no": ""}, "case_no"),
        ({"category_code": 201001}, "category_code"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"received_at": "2025-09-30T08:00:00"}, "received_at"),
        ({"handled_on_spot": "yes"}, "handled_on_spot"),
        ({"lat": 95.0}, "lat"),
        ({"lng": "121"}, "lng"),
        ({"cell_id": 1.5}, "cell_id"),
        ({"cell_code": "3302110070010"}, "cell_code"),
        ({"district_code": "33021a"}, "district_code"),
    ],
)
def test_a_malformed_field_is_named(changes, field):
    with pytest.raises(InvalidCommand) as caught:
        RegisterReport.from_payload(EVENT, payload(**changes))
    assert caught.value.field == field


def test_a_hotline_call_attached_to_a_case_names_it():
    target = uuid.uuid4()
    assert RegisterReport.from_payload(EVENT, payload()).attach_to is None
    assert RegisterReport.from_payload(EVENT, payload(attach_to=str(target))).attach_to == target
    with pytest.raises(InvalidCommand) as info:
        RegisterReport.from_payload(EVENT, payload(attach_to="case 12"))
    assert info.value.field == "attach_to"
