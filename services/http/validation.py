"""Request bodies validated by pydantic models; failures become 400/413/422 naming the field.

The same models feed the OpenAPI document (services/api/openapi.py), so what is documented
is what is enforced.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, TypeVar

from flask import request
from pydantic import AwareDatetime, BaseModel, BeforeValidator, ValidationError

from services.http.errors import ApiError, InvalidInput, Unprocessable

M = TypeVar("M", bound=BaseModel)

_ISO_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _iso_date_time(value: Any) -> Any:
    if isinstance(value, str) and _ISO_DATE_TIME.match(value):
        return value
    raise ValueError("an ISO 8601 date-time with its UTC offset, e.g. 2026-05-01T08:00:00+08:00")


# An instant in a query string: ISO 8601 with an offset, as documented (format: date-time);
# a bare number (which pydantic would read as Unix seconds) or a naive time is refused.
Instant = Annotated[AwareDatetime, BeforeValidator(_iso_date_time)]


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


def field_path(loc: tuple[Any, ...], prefix: str = "") -> str:
    """('location', 'lat') → 'location.lat'; ('photos', 0) → 'photos[0]'."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path or "body"


def unprocessable(exc: ValidationError, prefix: str = "") -> Unprocessable:
    """A 422 naming the first invalid field, with every problem in `details`."""
    problems = [
        {"field": field_path(tuple(err["loc"]), prefix), "reason": err["msg"]}
        for err in exc.errors(include_url=False, include_context=False, include_input=False)
    ]
    first = problems[0] if problems else {"field": prefix or "body", "reason": "invalid"}
    return Unprocessable(
        f"{first['field']}: {first['reason']}", field=first["field"], details=problems
    )


# C0 control characters other than tab, line feed and carriage return (a browser sends a
# text area's lines with CR LF): PostgreSQL text cannot hold NUL, XML 1.0 none of them, and
# a spreadsheet refuses them in a cell.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def check_text(value: str, field: str) -> str:
    """`value`, or Unprocessable (422) naming `field` when it holds a control character."""
    found = CONTROL_CHARACTERS.search(value)
    if found:
        raise Unprocessable(
            f"text must not contain control characters (U+{ord(found.group()):04X})", field=field
        )
    return value


def reject_control(data: Any, path: tuple[Any, ...] = ()) -> None:
    """Unprocessable (422) naming the first string (or key) holding a control character."""
    if isinstance(data, str):
        check_text(data, field_path(path) if path else "body")
    elif isinstance(data, dict):
        for key, value in data.items():
            reject_control(key, path + (key,))
            reject_control(value, path + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            reject_control(value, path + (i,))


def validate(model: type[M], data: Any, prefix: str = "") -> M:
    """`model` built from `data`, or Unprocessable (422)."""
    reject_control(data)
    return _build(model, data, prefix)


def _build(model: type[M], data: Any, prefix: str = "") -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise unprocessable(exc, prefix) from exc


def check_size(max_bytes: int) -> None:
    """Raises PayloadTooLarge (413) when the request body is over `max_bytes`."""
    length = request.content_length
    if length is not None and length > max_bytes:
        raise PayloadTooLarge(f"the body is over the limit of {max_bytes} bytes", field="body")


MAX_JSON_DEPTH = 32


def _depth_exceeds(data: Any, limit: int) -> bool:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _may_nest_deeper(raw: bytes | str, limit: int) -> bool:
    # Nesting past `limit` takes more than `limit` brackets in the text, in any encoding
    # json reads (each '[' or '{' is its byte, 0x5B or 0x7B, in UTF-8, UTF-16 and UTF-32).
    if isinstance(raw, bytes):
        return raw.count(b"[") + raw.count(b"{") > limit
    return raw.count("[") + raw.count("{") > limit


def _may_hold_control(raw: bytes) -> bool:
    # A control character in parsed JSON comes from an escape (`\u0001`, `\b`, `\f`: a raw
    # one is not JSON) or from a UTF-16/32 text, whose ASCII characters hold zero bytes.
    return b"\\u00" in raw or b"\\b" in raw or b"\\f" in raw or b"\x00" in raw


def parse_json(raw: bytes | str, field: str = "body") -> Any:
    """`raw` parsed as JSON: 400 naming `field` when it is not JSON or is nested deeper than
    MAX_JSON_DEPTH levels (a document built to exhaust the parser is refused, not a 500)."""
    what = "the body" if field == "body" else f"the part {field!r}"
    try:
        data = json.loads(raw)
    except RecursionError as exc:
        raise InvalidInput(f"{what} is nested too deeply", field=field) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{what} is not valid JSON: {exc}", field=field) from exc
    if _may_nest_deeper(raw, MAX_JSON_DEPTH) and _depth_exceeds(data, MAX_JSON_DEPTH):
        raise InvalidInput(f"{what} is nested more than {MAX_JSON_DEPTH} levels", field=field)
    return data


def json_object(max_bytes: int = 1024 * 1024) -> Any:
    """The request body parsed as JSON (400 if it is not JSON or nested too deeply, 413 if too
    large)."""
    return _json_request(max_bytes)[1]


def _json_request(max_bytes: int) -> tuple[bytes, Any]:
    check_size(max_bytes)
    raw = request.get_data(cache=True)
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"the body is over the limit of {max_bytes} bytes", field="body")
    if not raw:
        raise InvalidInput("a JSON body is required", field="body")
    return raw, parse_json(raw)


def json_body(model: type[M], max_bytes: int = 1024 * 1024) -> M:
    """The JSON body validated by `model` (400 malformed, 413 too large, 422 invalid)."""
    raw, data = _json_request(max_bytes)
    if _may_hold_control(raw):
        reject_control(data)
    return _build(model, data)


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


def query_args(model: type[M]) -> M:
    """The query string validated by `model` (422 naming the parameter)."""
    return validate(model, request.args.to_dict())
