"""Pressing a department by hand from the command center (值班长, 受理员): supervision (督办,
a note and optionally when the department is to answer) and urging (催办, a note). Each is
an event in the case's timeline, on the live feed and in the audit trail, and counted for the
department's KPIs (督办数, 催办数). A case outside the operator's place is a 404, as if it did
not exist; a case no department holds is a 409."""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, jsonify
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.api.casework import case_out, gridflow, in_place, now, run, visible_case
from services.api.handling_schemas import CaseOut, Reason
from services.api.openapi import operation
from services.auth import ADMIN, OPERATOR, current_principal, requires
from services.cases.commands import SuperviseCase, UrgeCase
from services.cases.operator import supervise_case, urge_case
from services.http.validation import json_body
from services.store.cases import views as case_views

bp = Blueprint("supervision", __name__, url_prefix="/api/v1/operator")
TAGS = ["operator"]
ACTION_ERRORS = (400, 404, 409, 422)


class SuperviseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Reason = Field(description="what the department is pressed to do")
    respond_by: AwareDatetime | None = Field(
        default=None, description="when the department is to answer; later than now"
    )


class UrgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Reason = Field(description="what the department is urged to get on with")


def _pressed(case_id: UUID, action) -> object:
    """Checks the operator's place, runs `action(uow)`, answers with the case."""
    me = current_principal()
    visible_case(case_id, lambda row: in_place(me, row))
    run(action)
    with gridflow().engine.connect() as conn:
        row = case_views.one_case(conn, case_id)
    return jsonify(case_out(row, me).model_dump(mode="json"))


@bp.post("/cases/<uuid:case_id>/supervise")
@operation(
    "Supervise (督办) a case a department holds: press it by hand, with a note",
    description="Recorded as a CaseSupervised event: in the case's timeline, the live feed "
    "and the audit trail, counted in the department's 督办数. Refused (409) unless the case "
    "is dispatched or acknowledged.",
    tags=TAGS, body=SuperviseIn, responses={200: CaseOut}, errors=ACTION_ERRORS,
)  # fmt: skip
@requires(OPERATOR, ADMIN)
def supervise(case_id: UUID):
    body = json_body(SuperviseIn)
    cmd = SuperviseCase(case_id, current_principal().username, body.note.strip(), body.respond_by)
    return _pressed(case_id, lambda uow: supervise_case(uow, cmd, now=now()))


@bp.post("/cases/<uuid:case_id>/urge")
@operation(
    "Urge (催办) the department holding a case to get on with it, with a note",
    description="Recorded as a CaseUrged event: in the case's timeline, the live feed and "
    "the audit trail, counted in the department's 催办数. Refused (409) unless the case is "
    "dispatched or acknowledged.",
    tags=TAGS, body=UrgeIn, responses={200: CaseOut}, errors=ACTION_ERRORS,
)  # fmt: skip
@requires(OPERATOR, ADMIN)
def urge(case_id: UUID):
    body = json_body(UrgeIn)
    cmd = UrgeCase(case_id, current_principal().username, body.note.strip())
    return _pressed(case_id, lambda uow: urge_case(uow, cmd, now=now()))
