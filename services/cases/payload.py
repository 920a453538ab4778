"""Fields of an event payload read into a command (`RegisterReport.from_payload`): each
reader returns the value or raises `InvalidCommand` naming the field."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.cases.errors import InvalidCommand


def text_value(payload: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise InvalidCommand(name, "required")
        return None
    if not isinstance(value, str):
        raise InvalidCommand(name, "must be a string")
    return value


def uuid_value(payload: dict[str, Any], name: str) -> uuid.UUID:
    value = text_value(payload, name, required=True)
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidCommand(name, f"not a UUID: {value!r}") from None


def optional_uuid(payload: dict[str, Any], name: str) -> uuid.UUID | None:
    """The UUID under `name`, or None when it is absent."""
    return None if payload.get(name) is None else uuid_value(payload, name)


def instant(payload: dict[str, Any], name: str) -> datetime:
    value = text_value(payload, name, required=True)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidCommand(name, f"not an ISO-8601 time: {value!r}") from None
    if moment.tzinfo is None:
        raise InvalidCommand(name, "has no time zone")
    return moment


def flag(payload: dict[str, Any], name: str) -> bool:
    value = payload.get(name, False)
    if not isinstance(value, bool):
        raise InvalidCommand(name, "must be true or false")
    return value


def number(payload: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise InvalidCommand(name, f"must be a number from {low} to {high}")
    return float(value)


def integer(payload: dict[str, Any], name: str) -> int | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidCommand(name, "must be an integer")
    return value


def code(payload: dict[str, Any], name: str, digits: int) -> str | None:
    value = text_value(payload, name)
    if value is not None and (len(value) != digits or not value.isdigit()):
        raise InvalidCommand(name, f"must be {digits} digits")
    return value
