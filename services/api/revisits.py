"""Revisits (回访) in the command center: the queue of open revisit tasks (a reporter rated
a case 不满意) in the operator's district or street, and the call-back that closes one with a
note or re-opens the case to its department as rework. A case outside the operator's place is
a 404, as if it did not exist."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from flask import Blueprint, jsonify
from pydantic import BaseModel, Field

from services.api.casework import (
    calendars,
    case_out,
    gridflow,
    in_place,
    now,
    place_of,
    run,
    visible_case,
)
from services.api.handling_schemas import CaseOut, Rating, Reason, _In
from services.api.openapi import operation
from services.auth import ADMIN, OPERATOR, current_principal, requires
from services.cases.commands import CloseRevisit
from services.cases.revisits import close_revisit
from services.http.validation import json_body
from services.store.cases import views as case_views
from services.store.cases.revisits import open_revisits

bp = Blueprint("revisits", __name__, url_prefix="/api/v1/operator")
TAGS = ["operator"]


class RevisitIn(_In):
    outcome: Literal["closed", "rework"] = Field(
        description="closed: the case stays closed; rework: back to its department (返工)"
    )
    note: Reason = Field(description="what the reporter was told and answered")
    rating_after: Rating | None = Field(
        default=None, description="the reporter's satisfaction after the call, if given"
    )


class RevisitOut(BaseModel):
    case_id: UUID
    case_no: str
    category_code: str
    name_zh: str
    name_en: str
    department_code: str | None
    department_zh: str | None
    opened_at: datetime
    due_at: datetime
    overdue: bool
    rating_comment: str | None


class RevisitList(BaseModel):
    items: list[RevisitOut]


@bp.get("/revisits")
@operation("Open revisit tasks (回访) in my jurisdiction, oldest due first", tags=TAGS,
           responses={200: RevisitList})  # fmt: skip
@requires(OPERATOR, ADMIN)
def revisits():
    with gridflow().engine.connect() as conn:
        rows = open_revisits(conn, place_of(current_principal()))
    at = now()
    items = [RevisitOut(**r, overdue=r["due_at"] < at) for r in rows]
    return jsonify(RevisitList(items=items).model_dump(mode="json"))


@bp.post("/cases/<uuid:case_id>/revisit")
@operation(
    "Close a revisit (回访) after calling the reporter back: keep the case closed with a note, "
    "or re-open it to its department as rework",
    description="Recorded as RevisitClosed (and CaseReworked for a rework): in the timeline, "
    "the live feed and the audit trail. Refused (409) when the case has no open revisit.",
    tags=TAGS, body=RevisitIn, responses={200: CaseOut}, errors=(400, 404, 409, 422),
)  # fmt: skip
@requires(OPERATOR, ADMIN)
def revisit(case_id: UUID):
    body = json_body(RevisitIn)
    me = current_principal()
    visible_case(case_id, lambda row: in_place(me, row))
    cmd = CloseRevisit(case_id, me.username, body.outcome, body.note.strip(), body.rating_after)
    run(lambda uow: close_revisit(uow, cmd, calendars=calendars(), now=now()))
    with gridflow().engine.connect() as conn:
        row = case_views.one_case(conn, case_id)
    return jsonify(case_out(row, me).model_dump(mode="json"))
