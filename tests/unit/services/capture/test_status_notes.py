"""The public status line: the reader's language, the agency and the local due time."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from services.capture.status_notes import pick_language, status_note

ZONE = ZoneInfo("Asia/Shanghai")
DUE = datetime(2026, 12, 8, 3, 30, tzinfo=UTC)  # 11:30 in Ningbo


def _row(status: str, **extra) -> dict:
    return {"status": status, "agency_responsible": "镇海区环境卫生管理处",
            "agency_responsible_en": "Sanitation Office", "resolve_due": DUE, **extra}  # fmt: skip


def test_the_line_names_the_agency_and_the_local_due_time():
    assert status_note(_row("dispatched"), lang="zh", zone=ZONE) == (
        "已派遣至镇海区环境卫生管理处，应于 12月8日 11:30 前处置"
    )
    assert status_note(_row("dispatched"), lang="en", zone=ZONE) == (
        "Dispatched to Sanitation Office; due by 8 Dec 11:30"
    )
    assert status_note(_row("dispatched", rework_count=1), lang="zh", zone=ZONE).startswith(
        "核查未通过，已返工至镇海区环境卫生管理处"
    )
    assert status_note(_row("closed"), lang="zh", zone=ZONE) == "已办结"
    assert status_note(_row("reported", resolve_due=None), lang="en", zone=ZONE) == (
        "Received; waiting to be registered and dispatched"
    )


def test_a_line_without_a_due_time_stops_before_it():
    row = _row("dispatched", resolve_due=None)
    assert status_note(row, lang="zh", zone=ZONE) == "已派遣至镇海区环境卫生管理处"
    assert status_note(row, lang="en", zone=ZONE) == "Dispatched to Sanitation Office"


def test_the_language_is_chinese_unless_asked_otherwise():
    assert pick_language(None, None) == "zh"
    assert pick_language("en", "zh-CN") == "en"
    assert pick_language(None, "fr-FR, en;q=0.8") == "en"
    assert pick_language("de", "de-DE") == "zh"
