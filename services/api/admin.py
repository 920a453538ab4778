"""The admin API: departments, their jurisdictions and admission lists, the versioned routing
rules, and the audit log. Admins only. The dispatch handlers' typed failures are mapped to
HTTP answers here, in this blueprint's one error handler.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from services.api.admin_schemas import (
    AuditList,
    AuditQuery,
    DepartmentIn,
    DepartmentList,
    DepartmentOut,
    RuleIn,
    RuleList,
    RulesetIn,
    VersionList,
    VersionSaved,
)
from services.api.errors import ApiError, NotFound, Unprocessable
from services.api.openapi import operation
from services.api.validation import json_body, query_args
from services.auth import current_principal, requires
from services.auth.principal import ADMIN
from services.dispatch import rules
from services.dispatch.errors import DispatchError
from services.dispatch.uow import UnitOfWork
from services.store import departments as store

bp = Blueprint("admin", __name__, url_prefix="/api/v1/admin")
TAGS = ["admin"]


class NotAdmittedError(ApiError):
    """A change the admission list (准入) forbids; it was refused and audited."""

    status, code = 422, "not_admitted"


@bp.errorhandler(DispatchError)
def _dispatch_error(exc: DispatchError):
    if isinstance(exc, rules.Refused):
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
    spec = rules.DepartmentSpec(code=code, **body.model_dump())
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
    spec = rules.RuleSpec(**body.model_dump())
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
    specs = [rules.RuleSpec(**r.model_dump()) for r in body.rules]
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


@bp.get("/audit")
@operation("The audit log, newest first (refused admission-list changes included)",
           tags=TAGS, query=AuditQuery, responses={200: AuditList})  # fmt: skip
@requires(ADMIN)
def audit():
    query = query_args(AuditQuery)
    with _engine().connect() as conn:
        items = store.audit_entries(conn, subject_prefix=query.subject, limit=query.limit)
    return jsonify(AuditList(items=items).model_dump(mode="json"))
