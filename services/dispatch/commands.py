"""Commands of the dispatch handlers: imperative, immutable, validated when built."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.dispatch.errors import InvalidCommand


@dataclass(frozen=True)
class RegisterReport:
    """Register (立案) the case of a captured report, detect a duplicate, route and dispatch it.

    `event_id` is the id of the ReportCaptured event the command comes from: a handler applies
    each event id once, however often it is delivered.
    """

    event_id: uuid.UUID
    report_id: uuid.UUID
    case_no: str
    category_code: str
    received_at: datetime
    handled_on_spot: bool = False
    lat: float | None = None
    lng: float | None = None
    cell_id: int | None = None
    cell_code: str | None = None
    grid_version: int | None = None
    community_code: str | None = None
    street_code: str | None = None
    district_code: str | None = None

    @classmethod
    def from_payload(cls, event_id: uuid.UUID, payload: dict[str, Any]) -> RegisterReport:
        """Builds the command from a ReportCaptured payload; raises `InvalidCommand` naming the
        first field that is missing or malformed."""
        return cls(
            event_id=event_id,
            report_id=_uuid(payload, "report_id"),
            case_no=_text(payload, "case_no", required=True),
            category_code=_text(payload, "category_code", required=True),
            received_at=_instant(payload, "received_at"),
            handled_on_spot=_flag(payload, "handled_on_spot"),
            lat=_number(payload, "lat", -90, 90),
            lng=_number(payload, "lng", -180, 180),
            cell_id=_integer(payload, "cell_id"),
            cell_code=_code(payload, "cell_code", 15),
            grid_version=_integer(payload, "grid_version"),
            community_code=_code(payload, "community_code", 12),
            street_code=_code(payload, "street_code", 9),
            district_code=_code(payload, "district_code", 6),
        )


@dataclass(frozen=True)
class DispatchCase:
    """Send a registered or returned case to a department (派遣), or move a dispatched one.

    `department_code` None lets the routing rules choose. `actor` is the operator's user name
    (None for the system).
    """

    case_id: uuid.UUID
    department_code: str | None = None
    actor: str | None = None


def _text(payload: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise InvalidCommand(name, "required")
        return None
    if not isinstance(value, str):
        raise InvalidCommand(name, "must be a string")
    return value


def _uuid(payload: dict[str, Any], name: str) -> uuid.UUID:
    value = _text(payload, name, required=True)
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidCommand(name, f"not a UUID: {value!r}") from None


def _instant(payload: dict[str, Any], name: str) -> datetime:
    value = _text(payload, name, required=True)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidCommand(name, f"not an ISO-8601 time: {value!r}") from None
    if moment.tzinfo is None:
        raise InvalidCommand(name, "has no time zone")
    return moment


def _flag(payload: dict[str, Any], name: str) -> bool:
    value = payload.get(name, False)
    if not isinstance(value, bool):
        raise InvalidCommand(name, "must be true or false")
    return value


def _number(payload: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise InvalidCommand(name, f"must be a number from {low} to {high}")
    return float(value)


def _integer(payload: dict[str, Any], name: str) -> int | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidCommand(name, "must be an integer")
    return value


def _code(payload: dict[str, Any], name: str, digits: int) -> str | None:
    value = _text(payload, name)
    if value is not None and (len(value) != digits or not value.isdigit()):
        raise InvalidCommand(name, f"must be {digits} digits")
    return value
