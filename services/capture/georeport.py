"""Open311 GeoReport v2 shapes: the catalog as services, reports as service requests.

Field names and status values are the specification's (http://wiki.open311.org/GeoReport_v2).
A request is `open` until its case is closed, rejected or merged into another.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

from geo.datum import from_wgs84
from services.capture.moderation import as_seen_by, withheld
from services.domain import states
from services.store.catalog import Category

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CLOSED_STATES = tuple(s.value for s in states.CLOSED_STATES)
# Decimal places of the public's coordinates: 0.001° is about 110 m north–south.
PUBLIC_DECIMALS = 3
# Attributes every service accepts (its service definition); values are kept on the report.
ATTRIBUTES = (
    {
        "variable": True,
        "code": "landmark",
        "datatype": "string",
        "required": False,
        "datatype_description": "a landmark, building or shop name near the problem",
        "order": 1,
        "description": "附近标志物 Nearby landmark",
        "values": [],
    },
    {
        "variable": True,
        "code": "occurred_at",
        "datatype": "datetime",
        "required": False,
        "datatype_description": "ISO 8601 date and time",
        "order": 2,
        "description": "发现时间 When it was noticed",
        "values": [],
    },
    {
        "variable": True,
        "code": "ongoing",
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": None,
        "order": 3,
        "description": "是否仍在持续 Is it still going on?",
        "values": [{"key": "yes", "name": "是 Yes"}, {"key": "no", "name": "否 No"}],
    },
)
ATTRIBUTE_CODES = {a["code"]: a for a in ATTRIBUTES}


def service(category: Category) -> dict[str, Any]:
    """One entry of GET services: a small class of the catalog."""
    return {
        "service_code": category.code,
        "service_name": category.name_zh,
        "description": f"{category.name_en} ({category.big_class_en})",
        "metadata": True,
        "type": "realtime",
        "keywords": ",".join([category.family, category.name_en.lower()]),
        "group": category.big_class_zh,
    }


def service_definition(category: Category) -> dict[str, Any]:
    """GET services/{code}: the attributes a request for this service may carry: those of
    every service, then the category's own extra questions."""
    return {"service_code": category.code, "attributes": attributes_of(category)}


def attributes_of(category: Category) -> list[dict[str, Any]]:
    """Every attribute a request for this category may carry, in order (ATTRIBUTES first)."""
    own = [
        {
            "variable": True,
            "code": q["code"],
            "datatype": "singlevaluelist" if q["kind"] == "choice" else "string",
            "required": q["required"],
            "datatype_description": None if q["kind"] == "choice" else "text",
            "order": len(ATTRIBUTES) + i,
            "description": " ".join(t for t in (q["text_zh"], q["text_en"]) if t),
            "values": [{"key": c, "name": c} for c in q["choices"]],
        }
        for i, q in enumerate(category.questions, start=1)
    ]
    return [dict(a) for a in ATTRIBUTES] + own


def status_of(state: str) -> str:
    """open / closed from a report's status (the case state once a case exists)."""
    return "closed" if state in CLOSED_STATES else "open"


def expected(row: dict[str, Any], calendars: dict[str, Any]) -> datetime | None:
    """When the request should be resolved: the case's resolve due time once dispatched;
    before that, the category's time limits counted from receipt on its calendar."""
    if row.get("resolve_due"):
        return row["resolve_due"]
    calendar = calendars["clock" if row["around_the_clock"] else "working"]
    minutes = row["ack_limit_minutes"] + row["resolve_limit_minutes"]
    return calendar.add(row["received_at"], timedelta(minutes=minutes))


def service_request(
    row: dict[str, Any],
    calendars: dict[str, Any],
    *,
    own: bool = False,
    status_notes: str | None = None,
    after_photo_url: str | None = None,
    datum: str = "wgs84",
) -> dict[str, Any]:
    """One service request as the public sees it: what moderation withholds left out, the
    coordinates in the reader's `datum`, rounded to PUBLIC_DECIMALS unless the request is the
    caller's `own`; the reporter's contact is never shown. `media_url` is the after-photo
    (`after_photo_url`) once the case is resolved, else the reporter's own media, neither when
    moderation withholds the photos."""
    attributes = row.get("attributes") or {}
    shown = as_seen_by(None, row)
    lat, lng = row["lat"], row["lng"]
    if lat is not None and lng is not None:
        lat, lng = from_wgs84(lat, lng, datum)
        if not own:
            lat, lng = round(lat, PUBLIC_DECIMALS), round(lng, PUBLIC_DECIMALS)
    media_url = None
    if not withheld(None, row).photos:
        media_url = after_photo_url or attributes.get("media_url")
    return {
        "service_request_id": row["case_no"],
        "status": status_of(row["status"]),
        "status_notes": status_notes,
        "service_name": row["name_zh"],
        "service_code": row["category_code"],
        "description": shown["description"],
        "agency_responsible": row.get("agency_responsible"),
        "service_notice": None,
        "requested_datetime": row["received_at"].isoformat(),
        "updated_datetime": (row.get("updated_at") or row["received_at"]).isoformat(),
        "expected_datetime": expected(row, calendars).isoformat(),
        "address": shown.get("address"),
        "address_id": None,
        "zipcode": None,
        "lat": lat,
        "long": lng,
        "media_url": media_url,
    }


# Characters XML 1.0 cannot carry: a stored text holding one (from before control characters
# were refused at the door) is written with U+FFFD in its place, never as a broken document.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _fill(parent: ET.Element, value: Any, tag: str) -> None:
    node = ET.SubElement(parent, tag)
    if isinstance(value, dict):
        for key, inner in value.items():
            _fill(node, inner, key)
    elif isinstance(value, list):
        singular = {"attributes": "attribute", "values": "value", "endpoints": "endpoint",
                    "formats": "format"}.get(tag, "item")  # fmt: skip
        for inner in value:
            _fill(node, inner, singular)
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is not None:
        node.text = XML_ILLEGAL.sub("\ufffd", str(value))


def to_xml(root: str, item: str | None, document: Any) -> bytes:
    """The XML form of a GeoReport document: a list becomes <root><item>…</item>…</root>,
    a dict becomes <root> with one child per key."""
    element = ET.Element(root)
    if isinstance(document, list):
        for entry in document:
            _fill(element, entry, item or "item")
    else:
        for key, value in document.items():
            _fill(element, value, key)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)
