"""The public status line of a report (Open311 `status_notes`, the tracking page's headline):
one sentence in the reader's language (Chinese by default) saying where the matter stands, who
holds it and by when it is due, in the district's local time. Nothing internal: no staff
names, no operator notes, no other reporters.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

LANGUAGES = ("zh", "en")

# status → (Chinese, English); {agency} and {due} are filled in when the line has them.
_LINES: dict[str, tuple[str, str]] = {
    "reported": ("已受理，等待立案派遣", "Received; waiting to be registered and dispatched"),
    "registered": ("已立案，等待派遣", "Registered; waiting to be dispatched"),
    "dispatched": ("已派遣至{agency}，应于 {due} 前处置", "Dispatched to {agency}; due by {due}"),
    "acknowledged": (
        "{agency}已签收，应于 {due} 前处置",
        "Accepted by {agency}; due by {due}",
    ),
    "returned": ("已退回指挥中心，正在重新派遣", "Returned to the command center for re-dispatch"),
    "resolved": (
        "{agency}已处置完毕，等待现场核查",
        "Resolved by {agency}; awaiting the on-site check",
    ),
    "closed": ("已办结", "Closed"),
    "rejected": ("不予立案", "Not accepted as a case"),
    "merged": ("与已受理的同一问题合并办理", "Merged with a report of the same problem"),
}
_REWORK: tuple[str, str] = (
    "核查未通过，已返工至{agency}，应于 {due} 前处置",
    "Failed the on-site check; sent back to {agency}, due by {due}",
)


def pick_language(requested: str | None, accept_language: str | None = None) -> str:
    """`zh` or `en`: the requested `locale` when it names one, else the first of the
    Accept-Language header's that does, else Chinese."""
    for candidate in [requested or ""] + (accept_language or "").split(","):
        code = candidate.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "zh"


def local_time(at: datetime, zone: ZoneInfo, lang: str) -> str:
    """A due time as people read it: 12月8日 11:30 / 8 Dec 11:30 (local time)."""
    local = at.astimezone(zone)
    if lang == "en":
        return f"{local.day} {local:%b %H:%M}"
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def status_note(row: dict[str, Any], *, lang: str, zone: ZoneInfo) -> str:
    """The public status line of a report row (services.store.report_rows' columns: status,
    agency_responsible, agency_responsible_en, resolve_due, rework_count)."""
    status = row["status"]
    index = 1 if lang == "en" else 0
    line = _LINES.get(status, (status, status))[index]
    if status == "dispatched" and row.get("rework_count"):
        line = _REWORK[index]
    agency = row.get("agency_responsible") or ""
    if lang == "en":
        agency = row.get("agency_responsible_en") or agency
    due = row.get("resolve_due")
    if due is None and "{due}" in line:
        line = line.split("，应于")[0].split("; due by")[0]
    return line.format(agency=agency, due=local_time(due, zone, lang) if due else "")
