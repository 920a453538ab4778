"""The command center's API (受理员, 派遣员, 值班长), scoped to the operator's district or
street: the queues, register (立案) or reject (不予立案) waiting reports, dispatch and
re-dispatch by hand, merge duplicates (and un-merge them within a day), decide extension
requests, moderate reports. A case or
report outside the operator's jurisdiction is a 404, as if it did not exist."""

from __future__ import annotations

import uuid
from uuid import UUID

from flask import Blueprint, jsonify
from pydantic import BaseModel, Field

from services.api.casework import (
    case_detail,
    case_out,
    gridflow,
    in_place,
    now,
    place_of,
    reference,
    run,
    visible_case,
)
from services.api.handling_schemas import (
    ApproveIn,
    CaseDetail,
    CaseOut,
    CasePage,
    DispatchIn,
    EligibleDepartments,
    MergeIn,
    ModerateIn,
    ModerationOut,
    OperatorCasesQuery,
    ReasonIn,
    RegisterIn,
)
from services.api.openapi import operation
from services.auth import ADMIN, OPERATOR, current_principal, requires
from services.cases.commands import (
    DecideExtension,
    DispatchCase,
    MergeCase,
    ModerateReport,
    RegisterCase,
    RejectCase,
    UnmergeCase,
)
from services.cases.operator import (
    decide_case_extension,
    merge_case,
    moderate_report,
    redispatch_case,
    register_case,
    reject_case,
    unmerge_case,
)
from services.domain.routing import eligible_departments
from services.http.errors import NotFound, Unprocessable
from services.http.validation import json_body, query_args
from services.store.cases import intake, rows
from services.store.cases import views as case_views
from services.store.departments import department_rows
from services.store.report_rows import reporter_contact

bp = Blueprint("operator", __name__, url_prefix="/api/v1/operator")
TAGS = ["operator"]
ACTION_ERRORS = (400, 404, 409, 422)


def _case(case_id: UUID) -> dict:
    me = current_principal()
    return visible_case(case_id, lambda row: in_place(me, row))


def _report(report_id: UUID) -> dict:
    with gridflow().engine.connect() as conn:
        row = intake.report_row(conn, report_id)
    if row is None or not in_place(current_principal(), row):
        raise NotFound(f"no report {report_id}", field="report_id")
    return row


def _answer(case_id: UUID):
    with gridflow().engine.connect() as conn:
        row = case_views.one_case(conn, case_id)
    return jsonify(case_out(row, current_principal()).model_dump(mode="json"))


def _actor() -> str:
    return current_principal().username


@bp.get("/cases")
@operation("Cases in my jurisdiction by queue", tags=TAGS, query=OperatorCasesQuery,
           responses={200: CasePage}, errors=(422,))  # fmt: skip
@requires(OPERATOR, ADMIN)
def cases():
    q = query_args(OperatorCasesQuery)
    picked = case_views.CaseFilter(
        scope=place_of(current_principal()), queue=q.queue,
        states=(q.state,) if q.state else (), department_code=q.department or None,
    )  # fmt: skip
    with gridflow().engine.connect() as conn:
        rows, total = case_views.page_of_cases(
            conn, picked, limit=q.per_page, offset=(q.page - 1) * q.per_page
        )
    me = current_principal()
    page = CasePage(items=[case_out(r, me) for r in rows], page=q.page, per_page=q.per_page,
                    total=total)  # fmt: skip
    return jsonify(page.model_dump(mode="json"))


class ReporterContact(BaseModel):
    name: str | None
    phone: str | None
    email: str | None


class OperatorCaseDetail(CaseDetail):
    reporter_contact: ReporterContact | None = Field(
        None, description="the resident's contact (Open311, hotline), to call them back; "
        "shown to the operators of the case's place only",
    )  # fmt: skip


@bp.get("/cases/<uuid:case_id>")
@operation("A case in my jurisdiction with its history, photos and the resident's contact",
           tags=TAGS, responses={200: OperatorCaseDetail}, errors=(404,))  # fmt: skip
@requires(OPERATOR, ADMIN)
def case(case_id: UUID):
    row = _case(case_id)
    with gridflow().engine.connect() as conn:
        contact = reporter_contact(conn, row["report_id"])
    detail = case_detail(row, current_principal()).model_dump()
    return jsonify(OperatorCaseDetail(**detail, reporter_contact=contact).model_dump(mode="json"))


@bp.post("/reports/<uuid:report_id>/register")
@operation(
    "Register (立案) a report waiting for an operator and dispatch it",
    description="To `department_code`, or by the routing rules when it is absent.",
    tags=TAGS, body=RegisterIn, responses={200: CaseOut}, errors=ACTION_ERRORS,
)  # fmt: skip
@requires(OPERATOR, ADMIN)
def register(report_id: UUID):
    body = json_body(RegisterIn)
    _report(report_id)
    cmd = RegisterCase(report_id, _actor(), body.department_code or None)
    done = run(lambda uow: register_case(uow, cmd, reference=reference(), now=now()))
    return _answer(done.case_id)


@bp.post("/reports/<uuid:report_id>/reject")
@operation("Reject (不予立案) a report waiting for an operator, with the reason", tags=TAGS,
           body=ReasonIn, responses={200: CaseOut}, errors=ACTION_ERRORS)  # fmt: skip
@requires(OPERATOR, ADMIN)
def reject(report_id: UUID):
    body = json_body(ReasonIn)
    _report(report_id)
    cmd = RejectCase(report_id, _actor(), body.reason.strip())
    done = run(lambda uow: reject_case(uow, cmd, now=now()))
    return _answer(done.case_id)


@bp.post("/reports/<uuid:report_id>/moderate")
@operation(
    "Moderate a report: hide it from the public, redact its text or hide its photos",
    description="Flags left out stay as they are; the change and its reason are audited.",
    tags=TAGS, body=ModerateIn, responses={200: ModerationOut}, errors=(400, 404, 422),
)  # fmt: skip
@requires(OPERATOR, ADMIN)
def moderate(report_id: UUID):
    body = json_body(ModerateIn)
    _report(report_id)
    cmd = ModerateReport(report_id, _actor(), body.reason.strip(), body.hidden, body.redacted,
                         body.photos_hidden)  # fmt: skip
    flags = run(lambda uow: moderate_report(uow, cmd, now=now()))
    return jsonify(ModerationOut(report_id=report_id, **flags).model_dump(mode="json"))


@bp.post("/cases/<uuid:case_id>/dispatch")
@operation(
    "Dispatch (派遣) a registered or returned case, or move a dispatched one",
    description="To `department_code`, or by the routing rules when it is absent.",
    tags=TAGS, body=DispatchIn, responses={200: CaseOut}, errors=ACTION_ERRORS,
)  # fmt: skip
@requires(OPERATOR, ADMIN)
def dispatch(case_id: UUID):
    body = json_body(DispatchIn)
    _case(case_id)
    cmd = DispatchCase(case_id, body.department_code or None, _actor())
    run(lambda uow: redispatch_case(uow, cmd, reference=reference(), now=now()))
    return _answer(case_id)


@bp.get("/cases/<uuid:case_id>/departments")
@operation(
    "The departments a case may be dispatched or re-dispatched to by hand",
    description="Active, serving the case's place, a community committee only with the "
    "category on its admission list; the most local first. `routed` marks the routing "
    "rules' choice, `current` the department holding the case.",
    tags=TAGS, responses={200: EligibleDepartments}, errors=(404,),
)  # fmt: skip
@requires(OPERATOR, ADMIN)
def departments(case_id: UUID):
    row = _case(case_id)
    category, cell, district = row["category_code"], row["cell_code"], row["district_code"]
    with gridflow().engine.connect() as conn:
        data = reference().current(conn)
        picked = eligible_departments(data.departments.values(), category, cell or district)
        names = {r["code"]: r for r in department_rows(conn, [d.code for d in picked])}
    routed = data.route(category, cell, district)
    items = [
        {"code": d.code, "kind": d.kind, "jurisdiction_code": d.jurisdiction_code,
         "name": {"zh": names[d.code]["name_zh"], "en": names[d.code]["name_en"]},
         "current": d.code == row["department_code"],
         "routed": not routed.fallback and d.code == routed.department_code}
        for d in picked
    ]  # fmt: skip
    return jsonify(EligibleDepartments(items=items).model_dump(mode="json"))


@bp.post("/cases/<uuid:case_id>/merge")
@operation("Merge a waiting report's case into the open case it duplicates", tags=TAGS,
           body=MergeIn, responses={200: CaseOut}, errors=ACTION_ERRORS)  # fmt: skip
@requires(OPERATOR, ADMIN)
def merge(case_id: UUID):
    body = json_body(MergeIn)
    _case(case_id)
    target = _duplicate_of(body.duplicate_of.strip())
    run(lambda uow: merge_case(uow, MergeCase(case_id, _actor(), target), now=now()))
    return _answer(case_id)


@bp.post("/cases/<uuid:case_id>/unmerge")
@operation(
    "Un-merge (撤销合并) a merged report within a day of its merge, with the reason",
    description="Its case waits for registration again as its own case (state `reported`, "
    "its history kept); the case it was merged into counts one duplicate less. Later than a "
    "day after the merge: 409 with `allowed` empty and `why` `unmerge_window`.",
    tags=TAGS, body=ReasonIn, responses={200: CaseOut}, errors=ACTION_ERRORS,
)  # fmt: skip
@requires(OPERATOR, ADMIN)
def unmerge(case_id: UUID):
    body = json_body(ReasonIn)
    _case(case_id)
    cmd = UnmergeCase(case_id, _actor(), body.reason.strip())
    run(lambda uow: unmerge_case(uow, cmd, now=now()))
    return _answer(case_id)


@bp.post("/cases/<uuid:case_id>/extension/approve")
@operation("Approve the pending extension request", tags=TAGS, body=ApproveIn,
           responses={200: CaseOut}, errors=ACTION_ERRORS)  # fmt: skip
@requires(OPERATOR, ADMIN)
def approve_extension(case_id: UUID):
    body = json_body(ApproveIn)
    _case(case_id)
    cmd = DecideExtension(case_id, _actor(), approve=True, new_due=body.new_due)
    run(lambda uow: decide_case_extension(uow, cmd, now=now()))
    return _answer(case_id)


@bp.post("/cases/<uuid:case_id>/extension/reject")
@operation("Reject the pending extension request, with the reason", tags=TAGS, body=ReasonIn,
           responses={200: CaseOut}, errors=ACTION_ERRORS)  # fmt: skip
@requires(OPERATOR, ADMIN)
def reject_extension(case_id: UUID):
    body = json_body(ReasonIn)
    _case(case_id)
    cmd = DecideExtension(case_id, _actor(), approve=False, reason=body.reason.strip())
    run(lambda uow: decide_case_extension(uow, cmd, now=now()))
    return _answer(case_id)


def _duplicate_of(ref: str) -> uuid.UUID:
    """The id of the case `ref` names (an id or a case number) in the operator's scope."""
    try:
        target = uuid.UUID(ref)
    except ValueError:
        with gridflow().engine.connect() as conn:
            target = rows.case_id_of(conn, case_no=ref)
    if target is not None:
        with gridflow().engine.connect() as conn:
            row = case_views.one_case(conn, target)
        if row is not None and in_place(current_principal(), row):
            return target
    raise Unprocessable(f"no case {ref!r} in your jurisdiction", field="duplicate_of")
