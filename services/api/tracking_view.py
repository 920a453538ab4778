"""What the tracking page shows a reporter: the status line, the public timeline (received,
dispatched to whom and by when, resolved with the after-photo, closed, rated) and whether the
case may be rated, in Chinese or English. Built from public facts only: no actor, no note of
the staff, no other reporter's data; photos moderation withholds stay withheld."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from services.capture.moderation import as_seen_by, withheld
from services.capture.status_notes import local_time, status_note
from services.domain.states import is_closed, is_handled

# What the page says, by language.
WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "办件进度查询", "case_no": "案件编号", "category": "问题类型",
        "received": "受理时间", "timeline": "办理过程", "after": "处置后照片",
        "rate": "请评价本次办理", "comment": "补充意见（选填）", "submit": "提交评价",
        "rated": "您的评价：", "thanks": "感谢您的评价", "switch": "English",
        "lookup": "用案件编号和手机号后四位查询", "phone_last4": "手机号后四位",
        "find": "查询", "not_found": "未找到该案件", "description": "问题描述",
    },
    "en": {
        "title": "Track your report", "case_no": "Case number", "category": "Problem",
        "received": "Received", "timeline": "Progress", "after": "After the fix",
        "rate": "How was it handled?", "comment": "Anything to add (optional)",
        "submit": "Send rating", "rated": "Your rating: ", "thanks": "Thank you for rating",
        "switch": "中文", "lookup": "Find it by case number and your phone's last four digits",
        "phone_last4": "Last four digits of your phone", "find": "Find",
        "not_found": "No such case", "description": "What was reported",
    },
}  # fmt: skip
RATINGS = (
    ("satisfied", "满意", "Satisfied"),
    ("basically_satisfied", "基本满意", "Basically satisfied"),
    ("dissatisfied", "不满意", "Dissatisfied"),
)
_RATING_NAMES = {key: (zh, en) for key, zh, en in RATINGS}
# event type → (Chinese, English); {agency} and {due} filled in when the event has them.
_EVENTS: dict[str, tuple[str, str]] = {
    "reported": ("已受理", "Received"),
    "CaseRegistered": ("已立案", "Registered"),
    "CaseDispatched": (
        "已派遣至{agency}，应于 {due} 前处置",
        "Dispatched to {agency}, due by {due}",
    ),
    "CaseAcknowledged": ("{agency}已签收", "Accepted by {agency}"),
    "CaseReturned": ("退回指挥中心重新派遣", "Returned to the command center for re-dispatch"),
    "CaseResolved": ("{agency}处置完毕", "Resolved by {agency}"),
    "CaseReworked": (
        "现场核查未通过，返工至{agency}",
        "Failed the on-site check; rework by {agency}",
    ),
    "CaseClosed": ("已办结", "Closed"),
    "CaseRejected": ("不予立案", "Not accepted as a case"),
    "CaseMerged": ("与同一问题合并办理", "Merged with a report of the same problem"),
    "CaseRated": ("已评价：{rating}", "Rated: {rating}"),
}


def _entry(event: dict[str, Any], lang: str, zone: ZoneInfo) -> dict[str, Any]:
    index = 1 if lang == "en" else 0
    line = _EVENTS[event["type"]][index]
    agency = (event.get("agency_en") if lang == "en" else None) or event.get("agency") or ""
    due = event.get("resolve_due")
    if due is None:
        line = line.split("，应于")[0].split(", due by")[0]
    rating = _RATING_NAMES.get(event.get("rating") or "", ("", ""))[index]
    text = line.format(agency=agency, due=local_time(due, zone, lang) if due else "",
                       rating=rating)  # fmt: skip
    return {"at": local_time(event["at"], zone, lang), "text": text, "type": event["type"]}


def tracking_page(
    row: dict[str, Any],
    events: list[dict[str, Any]],
    after_photo: str | None,
    *,
    lang: str,
    zone: ZoneInfo,
) -> dict[str, Any]:
    """The page's context for a report row (services.store.report_rows), its case's public
    events (services.store.cases.history.public_events) and its latest after-photo id."""
    shown = as_seen_by(None, row)
    reported = {"type": "reported", "at": row["received_at"]}
    timeline = [_entry(e, lang, zone) for e in [reported, *events]]
    state = row["status"]
    photo = after_photo if after_photo and not withheld(None, row).photos else None
    rating = row.get("rating")
    return {
        "lang": lang,
        "words": WORDS[lang],
        "case_no": row["case_no"],
        "category": row["name_en"] if lang == "en" else row["name_zh"],
        "description": shown["description"],
        "received": local_time(row["received_at"], zone, lang),
        "status": status_note(row, lang=lang, zone=zone),
        "closed": is_closed(state),
        "timeline": timeline,
        "after_photo": photo if is_handled(state) else None,
        "may_rate": state == "closed" and rating is None,
        "rating": _RATING_NAMES[rating][1 if lang == "en" else 0] if rating else None,
        "ratings": [(key, en if lang == "en" else zh) for key, zh, en in RATINGS],
    }
