"""Open311 shapes and their XML form."""

from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from services.capture.georeport import expected, service, status_of, to_xml
from services.domain.calendar import ClockCalendar
from services.store.catalog import Category

CATEGORY = Category(
    "201001", "event", "01", "市容环境", "City appearance", "暴露垃圾", "Exposed garbage",
    "normal", 30, 240, False, True, 50, 480,
)  # fmt: skip


def test_service_entry_has_the_spec_fields():
    entry = service(CATEGORY)
    assert entry["service_code"] == "201001" and entry["service_name"] == "暴露垃圾"
    assert entry["type"] == "realtime" and entry["metadata"] is True
    assert entry["group"] == "市容环境"


def test_status_is_open_until_the_case_ends():
    assert status_of("reported") == status_of("dispatched") == "open"
    assert status_of("closed") == status_of("rejected") == status_of("merged") == "closed"


def test_expected_datetime_counts_the_category_limits():
    received = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    row = {
        "received_at": received,
        "ack_limit_minutes": 10,
        "resolve_limit_minutes": 120,
        "around_the_clock": True,
    }
    clock = ClockCalendar()
    assert expected(row, {"clock": clock}) == datetime(2026, 3, 2, 3, 10, tzinfo=UTC)
    due = datetime(2026, 3, 3, tzinfo=UTC)
    assert expected({**row, "resolve_due": due}, {"clock": clock}) == due


def test_xml_lists_nest_with_singular_tags_and_nulls_are_empty():
    xml = to_xml(
        "service_requests",
        "request",
        [{"service_request_id": "1", "agency_responsible": None, "lat": 30.5}],
    )
    root = ET.fromstring(xml)
    assert xml.startswith(b"<?xml")
    assert root.find("request/service_request_id").text == "1"
    assert root.find("request/agency_responsible").text is None
    definition = ET.fromstring(
        to_xml("service_definition", None, {"service_code": "1", "attributes": [
            {"code": "x", "values": [{"key": "a", "name": "A"}], "required": False}
        ]})
    )  # fmt: skip
    assert definition.find("attributes/attribute/values/value/key").text == "a"
    assert definition.find("attributes/attribute/required").text == "false"


def test_the_xml_stays_well_formed_whatever_text_is_stored():
    document = [{"description": "bad\x01char\x0bend", "address": "tab\tand\nline"}]
    root = ET.fromstring(to_xml("service_requests", "request", document))
    assert root.find("request/description").text == "bad\ufffdchar\ufffdend"
    assert root.find("request/address").text == "tab\tand\nline"
