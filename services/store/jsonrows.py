"""Rows bound as one statement parameter: a JSON document read with `jsonb_to_recordset`, or
a uuid[] literal. Set-wise statements (a router batch, a page of ids) send one parameter
however many rows they carry."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import orjson


def json_rows(rows: Any) -> str:
    """Rows as one JSON document: one parameter, encoded by orjson (uuids and datetimes
    natively, as `str` and `isoformat` give them), instead of one array per column escaped
    element by element."""
    return orjson.dumps(rows, default=_plain).decode()


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def uuid_array(ids: Iterable[uuid.UUID | str]) -> str:
    """A uuid[] literal (uuids need no quoting)."""
    return "{" + ",".join(str(i) for i in ids) + "}"
