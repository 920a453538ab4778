"""The admin API: departments, their jurisdictions and admission lists, the versioned routing
rules, the working calendar's days, and the audit log. Admins only. The dispatch handlers'
typed failures are mapped to HTTP answers here, in this blueprint's one error handler.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, jsonify

from services.api.admin_schemas import (
    AuditList,
    AuditQuery,
    CalendarDayList,
    CalendarDaysIn,
    CalendarOut,
    CalendarQuery,
    DepartmentIn,
    DepartmentList,
    DepartmentOut,
    RuleIn,
    RuleList,
    RulesetIn,
    VersionList,
    VersionSaved,
)
from services.api.casework import calendars, now
from services.api.openapi import operation
from services.auth import current_principal, requires
from services.auth.principal import ADMIN
from services.calendars import covered_years, missing_years
from services.cases.errors import CaseError
from services.cases.uow import UnitOfWork
from services.http.errors import ApiError, InvalidInput, NotFound, Unprocessable
from services.http.validation import json_body, query_args
from services.routing import rules
from services.routing.specs import DepartmentSpec, Refused, RuleSpec
from services.store import calendar_days
from services.store import departments as store

bp = Blueprint("admin", __name__, url_prefix="/api/v1/admin")
TAGS = ["admin"]


class NotAdmittedError(ApiError):
    """A change the admission list (准入) forbids; it was refused and audited."""

    status, code = 422, "not_admitted"


@bp.errorhandler(CaseError)
def _dispatch_error(exc: CaseError):
    if isinstance(exc, Refused):
        error: ApiError = NotAdmittedError(
            str(exc), field=exc.field, details={"audit_id": exc.audit_id}
        )
    else:
        error = Unprocessable(str(exc), field=exc.field)
    return jsonify(error.body()), error.status


def _engine():
    return current_app.extensions["gridflow"].engine


def _actor() -> str:
    return current_principal().username


@bp.get("/departments")
@operation("Every department, with its jurisdiction and admission list", tags=TAGS,
           responses={200: DepartmentList})  # fmt: skip
@requires(ADMIN)
def departments():
    with _engine().connect() as conn:
        items = [DepartmentOut(**row) for row in store.department_rows(conn)]
    return jsonify(DepartmentList(items=items).model_dump(mode="json"))


@bp.put("/departments/<code>")
@operation(
    "Create or replace a department; a change that would leave a rule routing a category "
    "outside a community committee's admission list is refused (422 not_admitted, audited)",
    tags=TAGS, body=DepartmentIn, responses={200: DepartmentOut}, errors=(400, 422),
)  # fmt: skip
@requires(ADMIN)
def put_department(code: str):
    body = json_body(DepartmentIn)
    spec = DepartmentSpec(code=code, **body.model_dump())
    with UnitOfWork(_engine()) as uow:
        rules.save_departments(uow, [spec], actor=_actor())
        uow.commit()
    with _engine().connect() as conn:
        row = store.department_rows(conn, [code])[0]
    return jsonify(DepartmentOut(**row).model_dump(mode="json"))


@bp.get("/rules")
@operation("The active routing rules and their ruleset version", tags=TAGS,
           responses={200: RuleList})  # fmt: skip
@requires(ADMIN)
def active_rules():
    with _engine().connect() as conn:
        version = store.current_version(conn)
        items = store.rule_rows(conn)
    return jsonify(RuleList(version=version, items=items).model_dump(mode="json"))


@bp.post("/rules")
@operation(
    "Add a routing rule (a new ruleset version); refused with 422 not_admitted when it would "
    "route a category outside a community committee's admission list",
    tags=TAGS, body=RuleIn, responses={201: VersionSaved}, errors=(400, 422),
)  # fmt: skip
@requires(ADMIN)
def add_rule():
    body = json_body(RuleIn)
    spec = RuleSpec(**body.model_dump())
    with UnitOfWork(_engine()) as uow:
        version = rules.add_rule(uow, spec, actor=_actor())
        uow.commit()
    return jsonify(VersionSaved(version=version).model_dump()), 201


@bp.put("/rules")
@operation(
    "Replace the whole ruleset (a new version); every rule is checked against the admission "
    "lists first", tags=TAGS, body=RulesetIn, responses={200: VersionSaved}, errors=(400, 422),
)  # fmt: skip
@requires(ADMIN)
def replace_rules():
    body = json_body(RulesetIn)
    specs = [RuleSpec(**r.model_dump()) for r in body.rules]
    with UnitOfWork(_engine()) as uow:
        version = rules.save_ruleset(uow, specs, actor=_actor(), source="api", note=body.note)
        uow.commit()
    return jsonify(VersionSaved(version=version).model_dump())


@bp.delete("/rules/<int:rule_id>")
@operation("Remove an active rule (a new ruleset version)", tags=TAGS,
           responses={200: VersionSaved}, errors=(404,))  # fmt: skip
@requires(ADMIN)
def remove_rule(rule_id: int):
    with _engine().connect() as conn:
        if not any(r["id"] == rule_id for r in store.rule_rows(conn)):
            raise NotFound(f"no active rule {rule_id}", field="rule_id")
    with UnitOfWork(_engine()) as uow:
        version = rules.remove_rule(uow, rule_id, actor=_actor())
        uow.commit()
    return jsonify(VersionSaved(version=version).model_dump())


@bp.get("/rules/versions")
@operation("The ruleset versions, newest first", tags=TAGS, responses={200: VersionList})
@requires(ADMIN)
def rule_versions():
    with _engine().connect() as conn:
        items = store.versions(conn)
    return jsonify(VersionList(items=items).model_dump(mode="json"))


@bp.get("/rules/versions/<int:version>")
@operation("The rules of one ruleset version", tags=TAGS, responses={200: RuleList},
           errors=(404,))  # fmt: skip
@requires(ADMIN)
def rule_version(version: int):
    with _engine().connect() as conn:
        if not store.version_exists(conn, version):
            raise NotFound(f"no ruleset version {version}", field="version")
        items = store.rule_rows(conn, version=version)
    return jsonify(RuleList(version=version, items=items).model_dump(mode="json"))


@bp.get("/calendar")
@operation(
    "The working calendar: timezone, office hours, the years the official holiday data covers, "
    "this year or the next if no one has entered its holidays yet, and the admin's days",
    tags=TAGS, query=CalendarQuery, responses={200: CalendarOut},
)  # fmt: skip
@requires(ADMIN)
def calendar():
    query = query_args(CalendarQuery)
    working = calendars().working
    with _engine().connect() as conn:
        days = calendar_days.day_rows(conn, query.year)
    this_year = now().astimezone(working.timezone).year
    out = CalendarOut(
        timezone=str(working.timezone),
        office_hours=[(s.strftime("%H:%M"), e.strftime("%H:%M")) for s, e in working.office_hours],
        official_years=sorted(covered_years()),
        missing_years=missing_years([this_year, this_year + 1], working.overrides),
        days=days,
    )
    return jsonify(out.model_dump(mode="json"))


@bp.put("/calendar/days")
@operation(
    "Make days working or closed whatever the official calendar says (a year's holiday notice "
    "in one go); time limits counted from now on use them",
    tags=TAGS, body=CalendarDaysIn, responses={200: CalendarDayList}, errors=(400, 422),
)  # fmt: skip
@requires(ADMIN)
def put_calendar_days():
    body = json_body(CalendarDaysIn)
    seen: set[date] = set()
    for i, item in enumerate(body.days):
        if item.day in seen:
            raise Unprocessable(f"{item.day} is given twice", field=f"days[{i}].day")
        seen.add(item.day)
    with UnitOfWork(_engine()) as uow:
        items = calendar_days.set_calendar_days(
            uow.conn, [(d.day, d.working, d.note) for d in body.days], actor=_actor()
        )
        uow.commit()
    return jsonify(CalendarDayList(items=items).model_dump(mode="json"))


@bp.delete("/calendar/days/<day>")
@operation("Remove the admin's decision for a day: the official calendar applies again",
           tags=TAGS, responses={204: None}, errors=(400, 404))  # fmt: skip
@requires(ADMIN)
def delete_calendar_day(day: str):
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise InvalidInput("day: a date like 2027-01-01", field="day") from None
    with UnitOfWork(_engine()) as uow:
        removed = calendar_days.clear_calendar_day(uow.conn, parsed, actor=_actor())
        uow.commit()
    if not removed:
        raise NotFound(f"no admin day {parsed}", field="day")
    return "", 204


@bp.get("/audit")
@operation("The audit log, newest first (refused admission-list changes included)",
           tags=TAGS, query=AuditQuery, responses={200: AuditList})  # fmt: skip
@requires(ADMIN)
def audit():
    query = query_args(AuditQuery)
    with _engine().connect() as conn:
        items = store.audit_entries(conn, subject_prefix=query.subject, limit=query.limit)
    return jsonify(AuditList(items=items).model_dump(mode="json"))
