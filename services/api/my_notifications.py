"""A grid worker's notifications in the phone app: each milestone of their own reports
(dispatched, resolved, reworked, closed, …), queued once per event by `gridflow notifier` and
pushed live to their sockets; read here newest first, with the unread count for the badge, and
marked read when the phone has shown them."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from flask import Blueprint, current_app, jsonify
from pydantic import BaseModel, ConfigDict, Field

from services.api.openapi import operation
from services.auth import GRID_WORKER, current_principal, requires
from services.http.validation import json_body, query_args
from services.store.notifications import app_notifications, mark_app_read

bp = Blueprint("my_notifications", __name__, url_prefix="/api/v1")
TAGS = ["grid worker"]


class NotificationsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(50, ge=1, le=200)


class AppNotification(BaseModel):
    id: int
    case_id: UUID
    case_no: str
    report_id: UUID
    event_type: str
    status: str
    text_zh: str
    text_en: str
    occurred_at: datetime
    read: bool


class AppNotifications(BaseModel):
    items: list[AppNotification]
    unread: int


class ReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    up_to: int = Field(ge=1, le=2**63 - 1, description="the newest notification the phone showed")


class ReadOut(BaseModel):
    marked: int
    unread: int


def _list(limit: int) -> AppNotifications:
    me = current_principal()
    with current_app.extensions["gridflow"].engine.connect() as conn:
        found = app_notifications(conn, me.user_id, limit)
    items = [AppNotification(**{**row["body"], "id": row["id"], "case_id": row["case_id"],
                                "event_type": row["event_type"],
                                "read": row["read_at"] is not None})
             for row in found["items"]]  # fmt: skip
    return AppNotifications(items=items, unread=found["unread"])


@bp.get("/me/notifications")
@operation("My notifications: the milestones of my reports, newest first, and how many are "
           "unread", tags=TAGS, query=NotificationsQuery, responses={200: AppNotifications},
           errors=(422,))  # fmt: skip
@requires(GRID_WORKER)
def my_notifications():
    q = query_args(NotificationsQuery)
    return jsonify(_list(q.limit).model_dump(mode="json"))


@bp.post("/me/notifications/read")
@operation("Mark my notifications up to one read", tags=TAGS, body=ReadIn,
           responses={200: ReadOut}, errors=(400, 422))  # fmt: skip
@requires(GRID_WORKER)
def read_notifications():
    body = json_body(ReadIn)
    me = current_principal()
    with current_app.extensions["gridflow"].engine.begin() as conn:
        marked = mark_app_read(conn, me.user_id, body.up_to, datetime.now(UTC))
        unread = app_notifications(conn, me.user_id, 1)["unread"]
    return jsonify(ReadOut(marked=marked, unread=unread).model_dump(mode="json"))
