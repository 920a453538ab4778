"""The monthly electronic ledgers (电子台账) over HTTP: which communities of the caller's place
have a ledger for a month, and each ledger as XLSX or CSV, written on demand when the
scheduler has not written it yet; and a district's, street's or community's ledger of a whole
year, written row by row and streamed. Operators and leaders see the communities of their
district, street or community; admins all."""

from __future__ import annotations

import io
import re
import time
from datetime import date
from pathlib import Path

from flask import Blueprint, Response, jsonify, send_file
from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.api.casework import calendars, gridflow, now
from services.api.openapi import operation
from services.auth import ADMIN, LEADER, OPERATOR, current_principal, requires
from services.auth.principal import Principal
from services.http.errors import NotFound, Unprocessable
from services.http.validation import query_args
from services.ledger.export import export_ledgers, file_name
from services.ledger.rows import communities, month_period
from services.ledger.year import file_name as year_file_name
from services.ledger.year import year_ledger_chunks
from services.store.kpi_facts import jurisdiction_names

bp = Blueprint("ledgers", __name__, url_prefix="/api/v1/ledgers")
TAGS = ["ledgers"]
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "csv": "text/csv; charset=utf-8"}  # fmt: skip


class LedgerQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    month: str = Field(pattern=MONTH.pattern, description="YYYY-MM")
    community: str | None = Field(default=None, pattern=r"^[0-9]{12}$")

    @field_validator("month")
    @classmethod
    def _year(cls, month: str) -> str:
        if not 2000 <= int(month[:4]) <= 2099:
            raise ValueError("a month of the years 2000-2099")
        return month


class LedgerFileQuery(LedgerQuery):
    community: str = Field(pattern=r"^[0-9]{12}$")
    format: str = Field(default="xlsx", pattern=r"^(xlsx|csv)$")


class YearLedgerQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=2000, le=2099)
    place: str | None = Field(
        default=None, pattern=r"^[0-9]{6}([0-9]{3}){0,2}$",
        description="a district, street or community (default: the caller's place)",
    )  # fmt: skip


class LedgerItem(BaseModel):
    community_code: str
    name: str | None
    month: str
    files: dict[str, str] = Field(description="format → download path")


class LedgersOut(BaseModel):
    month: str
    items: list[LedgerItem]


def _covers(me: Principal, community: str) -> bool:
    return me.role == ADMIN or bool(me.place_code and community.startswith(me.place_code))


def _month(text: str) -> date:
    return date(int(text[:4]), int(text[5:7]), 1)


@bp.get("")
@operation(
    "The communities of the caller's place with a ledger for a month",
    tags=TAGS, query=LedgerQuery, responses={200: LedgersOut}, errors=(422,),
)  # fmt: skip
@requires(OPERATOR, LEADER, ADMIN)
def ledgers():
    q = query_args(LedgerQuery)
    me = current_principal()
    zone = str(calendars().working.timezone)
    with gridflow().reading.connect() as conn:
        codes = communities(conn, month_period(_month(q.month), zone))
        names = jurisdiction_names(conn, "community")
    base = "/api/v1/ledgers/file?community={code}&month={month}&format={fmt}"
    items = [
        LedgerItem(
            community_code=code,
            name=names.get(code),
            month=q.month,
            files={f: base.format(code=code, month=q.month, fmt=f) for f in MEDIA},
        )
        for code in sorted(codes)
        if _covers(me, code) and (q.community is None or q.community == code)
    ]
    return jsonify(LedgersOut(month=q.month, items=items).model_dump(mode="json"))


@bp.get("/file")
@operation(
    "One community's ledger of a month as XLSX or CSV (written on demand when missing)",
    tags=TAGS, query=LedgerFileQuery, responses={200: tuple(MEDIA.values())},
    errors=(404, 422),
)  # fmt: skip
@requires(OPERATOR, LEADER, ADMIN)
def ledger_file():
    q = query_args(LedgerFileQuery)
    if not _covers(current_principal(), q.community):
        raise NotFound(f"no ledger of community {q.community}", field="community")
    month = _month(q.month)
    config = gridflow().config
    path = Path(config.ledger_dir) / file_name(q.community, month, q.format)
    if not path.is_file():
        zone = str(calendars().working.timezone)
        export_ledgers(gridflow().reading, month, config.ledger_dir, now=now(),
                       community_codes=[q.community], formats=[q.format], zone=zone)  # fmt: skip
    # Sent from memory (a community's month is a few hundred KB at most): a file handle left
    # to the WSGI server to close was left open by clients that never read the body.
    return send_file(io.BytesIO(path.read_bytes()), mimetype=MEDIA[q.format], as_attachment=True,
                     download_name=path.name, etag=False)  # fmt: skip


@bp.get("/year")
@operation(
    "A district's, street's or community's ledger of a whole year as XLSX, streamed",
    description="Every case received in the year, one line each (the monthly ledger's "
    "columns), written row by row as it is read: the server's memory does not grow with "
    "the year's size.",
    tags=TAGS, query=YearLedgerQuery, responses={200: (MEDIA["xlsx"],)}, errors=(404, 422),
)  # fmt: skip
@requires(OPERATOR, LEADER, ADMIN)
def year_ledger():
    q = query_args(YearLedgerQuery)
    me = current_principal()
    place = q.place or me.place_code
    if not place:
        raise Unprocessable("name the district, street or community", field="place")
    if not _covers(me, place):
        raise NotFound(f"no ledger of {place}", field="place")
    zone = str(calendars().working.timezone)
    level = {6: "district", 9: "street", 12: "community"}[len(place)]
    with gridflow().reading.connect() as conn:
        name = jurisdiction_names(conn, level).get(place)
    chunks = year_ledger_chunks(gridflow().reading, place, q.year, now=now(), zone=zone,
                                name=name, pause=lambda: time.sleep(0))  # fmt: skip
    disposition = f'attachment; filename="{year_file_name(place, q.year)}"'
    return Response(chunks, mimetype=MEDIA["xlsx"], direct_passthrough=True,
                    headers={"Content-Disposition": disposition})  # fmt: skip
