"""Writing ledgers: XLSX (a 台账 sheet with the lines, a 汇总 sheet with the month's KPIs and a
巡查台账 sheet with the month's patrol, one line per worker-day) and CSV (UTF-8 with a
byte-order mark, so spreadsheet programs read the Chinese text).

Files are `<out_dir>/<community code>-<YYYY-MM>.<xlsx|csv>`, written to a temporary name and
renamed, so a reader never sees half a file and a daily re-export replaces the old one.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from services.domain.calendar import DEFAULT_TIMEZONE
from services.domain.kpi import Kpis
from services.ledger.rows import COLUMNS, Ledger, communities, ledger, month_period
from services.patrol.sheets import add_patrol_sheet
from services.stats.xlsx import inert
from services.store.reading import Connects

FORMATS = ("xlsx", "csv")
SUMMARY = [
    ("cases", "案卷数", "Cases", None), ("closed", "结案数", "Closed", None),
    ("closure_rate", "结案率", "Closure rate", "%"),
    ("on_time_closure_rate", "按期结案率", "On-time closure rate", "%"),
    ("rework_rate", "返工率", "Rework rate", "%"),
    ("extension_rate", "延期率", "Extension rate", "%"),
    ("acknowledge_median", "签收用时中位数(小时)", "Median time to acknowledge (h)", "h"),
    ("resolve_median", "处置用时中位数(小时)", "Median time to resolve (h)", "h"),
    ("close_median", "结案用时中位数(小时)", "Median time to close (h)", "h"),
    ("close_p90", "结案用时P90(小时)", "P90 time to close (h)", "h"),
    ("satisfaction_rate", "满意率", "Satisfaction rate", "%"),
    ("supervisions", "督办数", "Supervisions", None), ("urgings", "催办数", "Urgings", None),
]  # fmt: skip


def file_name(community_code: str, month: date, fmt: str) -> str:
    return f"{community_code}-{month:%Y-%m}.{fmt}"


def _summary_value(kpis: Kpis, name: str, unit: str | None):
    value = kpis.as_dict()[name]
    if value is None:
        return ""
    if unit == "h":
        return round(value / 3600, 2)
    return value


def _cells(line: list) -> list:
    return [inert(value) for value in line]


def write_xlsx(path: Path, book: Ledger, zone: str = DEFAULT_TIMEZONE) -> None:
    """The ledger as an XLSX workbook at `path`."""
    wb = Workbook()
    sheet = wb.active
    sheet.title = "台账"
    title = f"{book.community_name or book.community_code} {book.month:%Y年%m月} 案卷台账"
    sheet.append([inert(title)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([zh for zh, _ in COLUMNS])
    sheet.append([en for _, en in COLUMNS])
    for cell in (*sheet[2], *sheet[3]):
        cell.font = Font(bold=True)
    for line in book.lines:
        sheet.append(_cells(line))
    sheet.freeze_panes = "C4"
    for column, width in (("B", 20), ("C", 17), ("G", 40), ("J", 24)):
        sheet.column_dimensions[column].width = width
    for row in sheet.iter_rows(min_row=4, min_col=7, max_col=7):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    summary = wb.create_sheet("汇总")
    summary.append(["指标", "Figure", "数值"])
    for name, zh, en, unit in SUMMARY:
        summary.append([zh, en, _summary_value(book.kpis, name, unit)])
        if unit == "%":
            summary.cell(row=summary.max_row, column=3).number_format = "0.00%"
    summary.column_dimensions["A"].width = 24
    summary.column_dimensions["B"].width = 32
    place = book.community_name or book.community_code
    add_patrol_sheet(wb, f"{place} {book.month:%Y年%m月} 巡查台账", book.patrol, zone, inert)
    _atomic(path, wb.save)


def write_csv(path: Path, book: Ledger) -> None:
    """The ledger's lines as CSV at `path` (header: Chinese name and English in brackets)."""

    def save(target: str) -> None:
        with open(target, "w", newline="", encoding="utf-8-sig") as out:
            writer = csv.writer(out)
            writer.writerow([f"{zh} ({en})" for zh, en in COLUMNS])
            writer.writerows(_cells(line) for line in book.lines)

    _atomic(path, save)


def _atomic(path: Path, save) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    save(str(partial))
    os.replace(partial, path)


def export_ledgers(
    source: Connects,
    month: date,
    out_dir: str | Path,
    *,
    now: datetime,
    community_codes: Iterable[str] | None = None,
    formats: Iterable[str] = FORMATS,
    zone: str = DEFAULT_TIMEZONE,
) -> list[Path]:
    """Writes the month's ledger of each community (default: every community with a case
    that month) in each format, read from `source` (an Engine, or the API's Reading: the
    replica when it serves); returns the files written."""
    formats = list(formats)
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown ledger formats: {sorted(unknown)}")
    written = []
    with source.connect() as conn:
        codes = list(community_codes) if community_codes is not None else communities(
            conn, month_period(month, zone))  # fmt: skip
        for code in codes:
            book = ledger(conn, code, month, now=now, zone=zone)
            for fmt in formats:
                path = Path(out_dir) / file_name(code, book.month, fmt)
                if fmt == "xlsx":
                    write_xlsx(path, book, zone)
                else:
                    write_csv(path, book)
                written.append(path)
    return written
