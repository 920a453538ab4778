"""Notifications to reporters, for admins: what `gridflow notifier` delivered, is still
retrying, or dead-lettered after its last attempt (a client's webhook or the SMS gateway kept
refusing), newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from flask import Blueprint, current_app, jsonify
from pydantic import BaseModel, ConfigDict

from services.api.openapi import operation
from services.auth import requires
from services.auth.principal import ADMIN
from services.http.validation import query_args
from services.store.notifications import list_notifications

bp = Blueprint("notifications", __name__, url_prefix="/api/v1/admin")


class NotificationsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["pending", "delivered", "dead"] = "dead"


class NotificationOut(BaseModel):
    id: int
    event_id: UUID
    recipient: str
    channel: str
    case_id: UUID
    case_no: str | None
    event_type: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    next_at: datetime
    delivered_at: datetime | None


class NotificationList(BaseModel):
    items: list[NotificationOut]


@bp.get("/notifications")
@operation("Notifications to reporters by status (default: the dead-lettered), newest first",
           tags=["admin"], query=NotificationsQuery, responses={200: NotificationList},
           errors=(422,))  # fmt: skip
@requires(ADMIN)
def notifications():
    q = query_args(NotificationsQuery)
    with current_app.extensions["gridflow"].engine.connect() as conn:
        rows = list_notifications(conn, q.status)
    items = [NotificationOut(**row) for row in rows]
    return jsonify(NotificationList(items=items).model_dump(mode="json"))
