"""GET /api/v1/audit: the audit trail for admins, filtered by object, kind, actor, action and
time, newest first, paged back with `before_id`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from flask import Blueprint, current_app, jsonify
from pydantic import BaseModel, ConfigDict, Field

from services.api.openapi import operation
from services.auth import requires
from services.auth.principal import ADMIN
from services.http.validation import Instant, query_args
from services.store import audit_log as audit

bp = Blueprint("audit", __name__, url_prefix="/api/v1")
_NAME = r"^[A-Za-z0-9_.:-]+$"


class AuditTrailQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    object: str | None = Field(
        None, max_length=200, description="one object, e.g. case:<uuid> or account:<username>"
    )
    kind: str | None = Field(
        None, max_length=40, pattern=r"^[a-z0-9_]+$",
        description="every object of a kind: case, account, department, ruleset, report, ...",
    )  # fmt: skip
    actor: str | None = Field(None, max_length=200)
    action: str | None = Field(None, max_length=100, pattern=_NAME)
    since: Instant | None = Field(None, description="entries at or after this instant")
    until: Instant | None = Field(None, description="entries before this instant")
    before_id: int | None = Field(None, ge=1, le=2**62, description="page: entries older than")
    limit: int = Field(100, ge=1, le=1000)


class AuditTrailEntry(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    object: str
    outcome: Literal["done", "refused"]
    reason: str | None
    before: Any
    after: Any
    detail: dict[str, Any]


class AuditTrail(BaseModel):
    items: list[AuditTrailEntry]
    next_before_id: int | None = Field(None, description="pass as before_id for the next page")


@bp.get("/audit")
@operation(
    "The audit trail: case transitions, rule, department and account changes, admin actions",
    tags=["admin"], query=AuditTrailQuery, responses={200: AuditTrail}, errors=(422,),
)  # fmt: skip
@requires(ADMIN)
def audit_trail():
    query = query_args(AuditTrailQuery)
    wanted = audit.AuditFilter(
        subject=query.object, kind=query.kind, actor=query.actor, action=query.action,
        since=query.since, until=query.until, before_id=query.before_id, limit=query.limit,
    )  # fmt: skip
    with current_app.extensions["gridflow"].engine.connect() as conn:
        found = audit.entries(conn, wanted)
    fields = ("id", "at", "actor", "action", "outcome", "reason", "before", "after", "detail")
    items = [
        AuditTrailEntry(object=e.subject, **{name: getattr(e, name) for name in fields})
        for e in found
    ]
    more = len(found) == query.limit
    page = AuditTrail(items=items, next_before_id=found[-1].id if more and found else None)
    return jsonify(page.model_dump(mode="json"))
