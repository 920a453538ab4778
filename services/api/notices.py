"""Supervision notices (通报) for leaders: the weekly and monthly notices of the districts and
streets in the caller's place, each as JSON, a printable page, PDF or XLSX. Every file
download is written to the audit trail."""

from __future__ import annotations

from typing import Literal

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel, ConfigDict, Field

from services.api.casework import gridflow
from services.api.openapi import operation
from services.api.security_headers import inline_policy
from services.auth import ADMIN, LEADER, OPERATOR, current_principal, requires
from services.auth.principal import Principal
from services.http.errors import NotFound
from services.http.validation import query_args
from services.stats.notice_files import notice_html, notice_pdf, notice_xlsx
from services.store import audit_log
from services.store import notices as store

bp = Blueprint("notices", __name__, url_prefix="/api/v1/notices")
TAGS = ["notices"]
FILES = {
    "pdf": ("application/pdf", notice_pdf),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", notice_xlsx),
    "html": ("text/html; charset=utf-8", lambda body: notice_html(body).encode("utf-8")),
}


class NoticesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["weekly", "monthly"] | None = None
    limit: int = Field(default=50, ge=1, le=500)


class NoticeFileQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["pdf", "xlsx", "html"] = "pdf"


class NoticeItem(BaseModel):
    id: int
    kind: str
    jurisdiction_code: str
    first_day: str
    last_day: str
    written_at: str
    title: str | None


class NoticesOut(BaseModel):
    items: list[NoticeItem]


def _prefix(me: Principal) -> str:
    """Notices of places at or inside the caller's place ("" for admins)."""
    return "" if me.role == ADMIN else me.place_code or "-"


def _visible(notice_id: int) -> dict:
    with gridflow().reading.connect() as conn:
        found = store.notice(conn, notice_id)
    if found is None or not found["jurisdiction_code"].startswith(_prefix(current_principal())):
        raise NotFound(f"no notice {notice_id}", field="notice_id")
    return found


def _item(row: dict) -> dict:
    return {**row, "first_day": str(row["first_day"]), "last_day": str(row["last_day"]),
            "written_at": row["written_at"].isoformat(), "title": row.get("title")}  # fmt: skip


@bp.get("")
@operation(
    "The newest supervision notices (通报) of the districts and streets in the caller's place",
    tags=TAGS, query=NoticesQuery, responses={200: NoticesOut}, errors=(422,),
)  # fmt: skip
@requires(OPERATOR, LEADER, ADMIN)
def notices():
    q = query_args(NoticesQuery)
    with gridflow().reading.connect() as conn:
        rows = store.notices(conn, _prefix(current_principal()), q.kind, q.limit)
    return jsonify(NoticesOut(items=[NoticeItem(**_item(r)) for r in rows]).model_dump())


@bp.get("/<int:notice_id>")
@operation("One supervision notice with its figures", tags=TAGS, errors=(404,))
@requires(OPERATOR, LEADER, ADMIN)
def notice(notice_id: int):
    found = _visible(notice_id)
    return jsonify({**_item(found), "title": found["body"].get("title"), "body": found["body"]})


@bp.get("/<int:notice_id>/file")
@operation(
    "A supervision notice as PDF, XLSX or a printable page (the download is audited)",
    tags=TAGS, query=NoticeFileQuery, responses={200: tuple(m for m, _ in FILES.values())},
    errors=(404, 422),
)  # fmt: skip
@requires(OPERATOR, LEADER, ADMIN)
def notice_file(notice_id: int):
    fmt = query_args(NoticeFileQuery).format
    found = _visible(notice_id)
    media, render = FILES[fmt]
    data = render(found["body"])
    with gridflow().engine.begin() as conn:
        audit_log.record(conn, actor=current_principal().username, action="notice.download",
                         subject=f"notice:{notice_id}", detail={"format": fmt})  # fmt: skip
    name = f"notice-{found['jurisdiction_code']}-{found['kind']}-{found['first_day']}.{fmt}"
    if fmt == "html":  # the printable page: its own inline style, nothing else
        policy = inline_policy(data.decode("utf-8"))
        return Response(data, mimetype=media, headers={"Content-Security-Policy": policy})
    disposition = f'attachment; filename="{name}"'
    return Response(data, mimetype=media, headers={"Content-Disposition": disposition})
