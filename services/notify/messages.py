"""What a reporter is told, and through which channel: each milestone of a case (dispatched,
resolved, reworked, closed, rejected, merged) goes to an Open311 request's client webhook, to
a hotline caller's phone by SMS when a gateway is configured (the case's district's own, else
the global one), and to the grid worker who filed the report, in the phone app (its status
line in Chinese and English). Built once, when the event is first seen; replays find the
notification queued and build nothing again."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.capture.georeport import status_of
from services.capture.status_notes import status_note
from services.config import Config
from services.store.notifications import app_recipient

# event type → the report's status at that milestone
MILESTONES = {
    "CaseDispatched": "dispatched",
    "CaseResolved": "resolved",
    "CaseReworked": "dispatched",
    "CaseClosed": "closed",
    "CaseRejected": "rejected",
    "CaseMerged": "merged",
}
SMS_CHANNELS = ("hotline",)


def notifications_for(
    event: dict[str, Any], reporter: dict[str, Any] | None, config: Config
) -> list[dict[str, Any]]:
    """The notifications of one case event (`event`: event_id, type, occurred_at, case_id,
    payload) to its reporter (`services.store.notifications.reporter_of_case`): rows ready for
    `queue_notifications`. None for an event that is no milestone or a hidden report."""
    status = MILESTONES.get(event["type"])
    if status is None or reporter is None or reporter["hidden"]:
        return []
    payload = event["payload"]
    due = payload.get("resolve_due")
    at_milestone = {
        **reporter,
        "status": status,
        "resolve_due": datetime.fromisoformat(due) if due else None,
        "rework_count": payload.get("rework_count", 0),
    }
    zone = ZoneInfo(config.timezone)
    note = status_note(at_milestone, lang="zh", zone=zone)
    base = {"event_id": event["event_id"], "case_id": event["case_id"],
            "event_type": event["type"]}  # fmt: skip
    rows = []
    if reporter["channel"] == "open311" and reporter["webhook_url"]:
        body = {
            "event_id": str(event["event_id"]),
            "event_type": event["type"],
            "occurred_at": event["occurred_at"].isoformat(),
            "service_request_id": reporter["case_no"],
            "token": str(reporter["report_id"]),
            "status": status_of(status),
            "status_notes": note,
        }
        rows.append({**base, "recipient": f"webhook:{reporter['client_id']}", "channel": "webhook",
                     "target": reporter["webhook_url"], "body": body})  # fmt: skip
    if reporter["channel"] == "grid" and reporter.get("reporter_id"):
        body = {"event_type": event["type"], "occurred_at": event["occurred_at"].isoformat(),
                "case_no": reporter["case_no"], "report_id": str(reporter["report_id"]),
                "status": status, "text_zh": note,
                "text_en": status_note(at_milestone, lang="en", zone=zone)}  # fmt: skip
        rows.append({**base, "recipient": app_recipient(reporter["reporter_id"]),
                     "channel": "app", "target": "app", "body": body})  # fmt: skip
    phone = reporter["reporter_phone"]
    gateway = config.sms_gateway(reporter.get("district_code"))
    if reporter["channel"] in SMS_CHANNELS and phone and gateway is not None:
        link = (
            f"{config.public_url.rstrip('/')}/t/{reporter['report_id']}"
            if config.public_url
            else ""
        )
        text = f"您反映的问题（{reporter['case_no']}）{note}。" + (
            f"查询进度：{link}" if link else ""
        )
        body = {"phone": phone, "text": text, "case_no": reporter["case_no"],
                "district_code": reporter.get("district_code")}  # fmt: skip
        rows.append({**base, "recipient": f"sms:{phone}", "channel": "sms",
                     "target": gateway.url, "body": body})  # fmt: skip
    return rows
