"""What the live feed shows of cases and events, from the store's reads (services.store.live):
a reader's scope, a case's view, an event's message and its rooms, the events a client missed,
a scope's name and bounds and the cells of grid workers.

A message about a case event carries `id` (case_event.id: increasing, the client's replay
cursor) and `case` with `seq` (the highest case_event id of that case when it was read), so a
client can apply messages in any order and keep only the newest view of each case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from services.auth.principal import DEPARTMENT_STAFF, GRID_WORKER, Principal
from services.auth.scope import reader_scope
from services.live.rooms import Place, rooms_for_place
from services.store.live import cases as store
from services.store.live.cases import DETAIL_FIELDS, last_event_id, workers_cells
from services.store.scopes import Scope

__all__ = ["DETAIL_FIELDS", "last_event_id", "workers_cells"]  # read here by the feed, replay


def scope_of(principal: Principal) -> Scope:
    """What `principal` may see (services.auth.scope.reader_scope)."""
    return reader_scope(principal)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def case_view(row: Any) -> dict[str, Any]:
    """The JSON a page gets for one case (user text is plain data; pages render it inert)."""
    return {
        "id": row.case_id,
        "report_id": row.report_id,
        "case_no": row.case_no,
        "state": row.state,
        "category_code": row.category_code,
        "category": {"zh": row.category_zh, "en": row.category_en},
        "department_code": row.department_code,
        "department": {"zh": row.department_zh, "en": row.department_en or row.department_zh},
        "cell_code": row.cell_code,
        "street_code": row.street_code,
        "district_code": row.district_code,
        "summary": row.summary,
        "address": row.address,
        "lat": row.lat,
        "lng": row.lng,
        "ack_due": _iso(row.ack_due),
        "resolve_due": _iso(row.resolve_due),
        "overdue": bool(row.overdue),
        "seq": row.seq,
    }


def event_detail(payload: dict[str, Any] | None) -> dict[str, Any]:
    """The payload fields a ticker line or a countdown may show."""
    payload = payload or {}
    return {k: payload[k] for k in DETAIL_FIELDS if k in payload}


def _event_message(row: Any) -> dict[str, Any]:
    return {
        "id": row.seq_id,
        "event_id": str(row.event_id),
        "type": row.type,
        "at": _iso(row.at),
        "actor": row.actor,
        "detail": event_detail(row.payload),
        "case": case_view(row),
    }


def events_since(
    engine: Engine, principal: Principal, after_id: int, limit: int = 500
) -> list[dict[str, Any]]:
    """The events in `principal`'s scope with case_event id > `after_id`, oldest first."""
    return [_event_message(r) for r in store.events_since(engine, scope_of(principal), after_id,
                                                          limit)]  # fmt: skip


def rooms_of(message: dict[str, Any]) -> list[str]:
    """The rooms a case event message goes to: its case's place and department, and the
    department the event itself names (a case re-dispatched away still reaches its old
    department once, so the console can drop it)."""
    case = message["case"]
    detail = message.get("detail") or {}
    departments = (
        case.get("department_code"),
        detail.get("department_code"),
        detail.get("previous_department_code"),
    )
    place = Place(
        cell_code=case.get("cell_code"),
        street_code=case.get("street_code"),
        district_code=case.get("district_code"),
        community_code=case.get("community_code"),
        department_codes=tuple(d for d in departments if d),
    )
    return rooms_for_place(place)


def scope_bounds(engine: Engine, principal: Principal) -> list[float] | None:
    """[west, south, east, north] of the current cells in `principal`'s place (all cells for
    admins and departments), so a page opens on its own area; None without a grid."""
    code = principal.place_code
    cells = sorted(principal.cell_codes) if principal.role == GRID_WORKER else None
    return store.bounds(engine, code, cells)


def scope_name(engine: Engine, principal: Principal) -> dict[str, str] | None:
    """The name of what `principal` watches: its department or its jurisdiction, zh and en."""
    if principal.role == DEPARTMENT_STAFF and principal.department_code:
        return store.department_name(engine, principal.department_code)
    if principal.place_code:
        return store.jurisdiction_name(engine, principal.place_code)
    return None
