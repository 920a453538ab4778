"""Patrol sheets: the attendance workbook (考勤) of a period, and the month's patrol ledger
sheet (巡查台账) the community ledger carries beside its case sheet."""

from __future__ import annotations

import io
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

ATTENDANCE = [
    ("账号", "Account"), ("姓名", "Name"), ("出勤天数", "Days out"), ("巡查时长(小时)", "Hours"),
    ("巡查里程(公里)", "Km"), ("本网格内时间占比", "Share of time in own cells"),
]  # fmt: skip
LEDGER = [
    ("日期", "Day"), ("账号", "Account"), ("姓名", "Name"), ("首次定位", "First ping"),
    ("末次定位", "Last ping"), ("巡查里程(公里)", "Km"), ("巡查时长(小时)", "Hours"),
    ("本网格内时长(小时)", "Hours in own cells"), ("异常定位点", "Flagged points"),
]  # fmt: skip
PATROL_SHEET = "巡查台账"


def _header(sheet: Worksheet, title: str, columns: list[tuple[str, str]], inert) -> None:
    sheet.append([inert(title)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([zh for zh, _ in columns])
    sheet.append([en for _, en in columns])
    for cell in (*sheet[2], *sheet[3]):
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A4"


def attendance_xlsx(items: list[dict[str, Any]], first: date, last: date, inert) -> bytes:
    """The attendance of a period as an XLSX workbook (one sheet, 考勤)."""
    wb = Workbook()
    sheet = wb.active
    sheet.title = "考勤"
    _header(sheet, f"巡查考勤 {first.isoformat()} 至 {last.isoformat()}", ATTENDANCE, inert)
    for item in items:
        sheet.append([inert(item["username"]), inert(item["display_name"]), item["days_out"],
                      item["hours"], item["km"], item["own_cells_share"]])  # fmt: skip
        sheet.cell(row=sheet.max_row, column=6).number_format = "0.00%"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def add_patrol_sheet(wb: Workbook, title: str, rows: list[Any], zone: str, inert) -> None:
    """Appends the 巡查台账 sheet: one line per worker-day of the month."""
    sheet = wb.create_sheet(PATROL_SHEET)
    _header(sheet, title, LEDGER, inert)
    local = ZoneInfo(zone)
    for r in rows:
        sheet.append([
            r.day.isoformat(), inert(r.username), inert(r.display_name),
            r.first_at.astimezone(local).strftime("%H:%M"),
            r.last_at.astimezone(local).strftime("%H:%M"),
            round(r.distance_m / 1000, 3), round(r.patrol_s / 3600, 2),
            round(r.own_cells_s / 3600, 2), r.flagged,
        ])  # fmt: skip
    for column, width in (("A", 12), ("B", 20), ("C", 14)):
        sheet.column_dimensions[column].width = width
