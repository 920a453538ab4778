"""Case search in the command center (受理员, 派遣员, 值班长): by number (whole or tail),
the reporter's phone (exact), free text (Chinese substring or fuzzy), state, category,
department, place down to the cell, overdue, supervised, channel and the dates received;
newest first, a page at a time by keyset (`after` = the previous page's `next`); the result
as an XLSX workbook (up to 50,000 cases, streamed), or counted by place for the map's heat
layer. Only cases in the operator's district or street are found, so a phone number finds
nothing outside it. All read from the replica when one serves (services.store.reading), at most
GRIDFLOW_REPLICA_MAX_LAG_S behind the primary."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from services.api.casework import calendars, case_out, gridflow, place_of
from services.api.handling_schemas import CaseOut, CaseStateName, DepartmentCode
from services.api.openapi import operation
from services.auth import ADMIN, OPERATOR, current_principal, requires
from services.cases.export import MAX_ROWS, search_xlsx
from services.http.errors import Unprocessable
from services.http.validation import query_args
from services.store.cases.search import CaseSearch, heat_points, search_page

bp = Blueprint("case_search", __name__, url_prefix="/api/v1/operator")
TAGS = ["operator"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The days a search may name (a day far outside them overflows in local time).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def _listed(value: object) -> object:
    return [v for v in value.split(",") if v] if isinstance(value, str) else value


class CaseSearchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=False)

    number: str | None = Field(
        default=None,
        pattern=r"^[0-9A-Za-z]{4,32}$",
        description="a whole case number or its last digits (4 or more)",
    )
    phone: str | None = Field(
        default=None,
        pattern=r"^\+?[0-9][0-9 -]{4,19}$",
        description="the reporter's phone, exactly as given",
    )
    q: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=r"\S",
        description="text in the description or address: substring or fuzzy",
    )
    state: Annotated[list[CaseStateName], BeforeValidator(_listed)] = Field(
        default_factory=list, description="one state or several, comma-separated"
    )
    category: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    department: DepartmentCode | None = None
    within: str | None = Field(
        default=None,
        pattern=r"^[0-9]{6}([0-9]{3}){0,3}$",
        description="a district, street, community or cell code",
    )
    overdue: bool | None = None
    supervised: bool | None = Field(default=None, description="督办: by hand or escalated")
    channel: Literal["grid", "open311", "hotline"] | None = None
    first: date | None = Field(default=None, alias="from", description="received on or after")
    last: date | None = Field(default=None, alias="to", description="received on or before")
    after: str | None = Field(default=None, max_length=200, description="`next` of the page before")
    limit: int = Field(default=50, ge=1, le=200)
    # fmt: skip


class HeatMap(BaseModel):
    # Lists, not tuples: a tuple's JSON schema (`prefixItems`) came out as an `items` array,
    # which OpenAPI 3.1 refuses.
    points: list[list[float]] = Field(
        description="[lat, lng, cases]: WGS84 centres of ~11 m squares, busiest first"
    )
    max: int = Field(description="the most cases in one square (0: none found)")


HEAT_SQUARES = 20_000


class CaseSearchPage(BaseModel):
    items: list[CaseOut]
    next: str | None = Field(description="pass as `after` for the next page; null: the last")


def _cursor(row: dict) -> str:
    raw = json.dumps([row["created_at"].isoformat(), str(row["id"])]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _after(cursor: str | None) -> tuple[datetime, str] | None:
    if cursor is None:
        return None
    try:
        at, case_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(at), str(UUID(case_id))
    except (ValueError, TypeError, binascii.Error):
        raise Unprocessable("not a cursor this search gave", field="after") from None


def _search(q: CaseSearchQuery) -> CaseSearch:
    zone = ZoneInfo(str(calendars().working.timezone))

    def start(day: date | None) -> datetime | None:
        return None if day is None else datetime.combine(day, time(), zone).astimezone(UTC)

    for day, field in ((q.first, "from"), (q.last, "to")):
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise Unprocessable(f"a day from {FIRST_DAY} to {LAST_DAY}", field=field)
    if q.first and q.last and q.last < q.first:
        raise Unprocessable("'to' is before 'from'", field="to")
    return CaseSearch(
        scope=place_of(current_principal()), number=q.number, phone=q.phone,
        text=q.q.strip() if q.q else None, states=tuple(q.state), category_code=q.category,
        department_code=q.department, within=q.within, overdue=q.overdue,
        supervised=q.supervised, channel=q.channel, received_from=start(q.first),
        received_to=start(q.last + timedelta(days=1)) if q.last else None,
    )  # fmt: skip


@bp.get("/cases/search")
@operation("Search the cases in my jurisdiction", tags=TAGS, query=CaseSearchQuery,
           responses={200: CaseSearchPage}, errors=(422,))  # fmt: skip
@requires(OPERATOR, ADMIN)
def search():
    q = query_args(CaseSearchQuery)
    picked, after = _search(q), _after(q.after)
    with gridflow().reading.connect() as conn:
        rows = search_page(conn, picked, limit=q.limit + 1, after=after)
    me = current_principal()
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    page = CaseSearchPage(items=[case_out(r, me) for r in rows],
                          next=_cursor(rows[-1]) if more else None)  # fmt: skip
    return jsonify(page.model_dump(mode="json"))


@bp.get("/cases/search/export")
@operation(
    "The search's result as an XLSX workbook",
    description=f"Every case the search finds, newest first, up to {MAX_ROWS:,}; written "
    "and sent as the rows are read. `after` and `limit` do not apply.",
    tags=TAGS, query=CaseSearchQuery, responses={200: (XLSX,)}, errors=(422,),
)  # fmt: skip
@requires(OPERATOR, ADMIN)
def export():
    picked = _search(query_args(CaseSearchQuery))
    chunks = search_xlsx(gridflow().reading, picked, zone=str(calendars().working.timezone))
    name = f"cases-{datetime.now(UTC):%Y%m%d-%H%M%S}.xlsx"
    return Response(chunks, mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


@bp.get("/cases/heat")
@operation(
    "The search's cases counted by place, for the map's heat layer",
    description=f"The cases the search finds (e.g. one category in a period), counted per "
    f"square of about 11 m, the busiest {HEAT_SQUARES:,} squares. `after` and `limit` do not "
    "apply.",
    tags=TAGS, query=CaseSearchQuery, responses={200: HeatMap}, errors=(422,),
)  # fmt: skip
@requires(OPERATOR, ADMIN)
def heat():
    picked = _search(query_args(CaseSearchQuery))
    with gridflow().reading.connect() as conn:
        points = heat_points(conn, picked, limit=HEAT_SQUARES)
    found = HeatMap(points=points, max=max((p[2] for p in points), default=0))
    return jsonify(found.model_dump(mode="json"))
