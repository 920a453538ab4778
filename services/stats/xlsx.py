"""Worksheets of figures: every table gridflow exports (ledgers, rankings) writes its text
cells through `inert`, and simple tables through `table_xlsx`."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Font

# A text a spreadsheet program would run as a formula (OWASP, "CSV injection") is written
# with a leading apostrophe, which makes it plain text; characters a worksheet cannot hold
# (openpyxl raises on them) become U+FFFD.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def inert(value):
    """`value` as a worksheet cell may hold it: any text made inert and storable."""
    if not isinstance(value, str):
        return value
    value = UNSTORABLE.sub("\ufffd", value)
    return "'" + value if value.startswith(FORMULA_START) else value


def table_xlsx(
    title: str,
    headers: Sequence[tuple[str, str]],
    rows: Iterable[Sequence],
    *,
    percent_columns: Iterable[int] = (),
) -> bytes:
    """A one-sheet workbook: a bold title, a Chinese and an English header row, then `rows`
    (columns in `percent_columns`, 0-based, formatted as percentages)."""
    wb = Workbook()
    sheet = wb.active
    sheet.title = title[:31].translate({ord(c): " " for c in "[]:*?/\\"})
    sheet.append([inert(title)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([zh for zh, _ in headers])
    sheet.append([en for _, en in headers])
    for cell in (*sheet[2], *sheet[3]):
        cell.font = Font(bold=True)
    percent = set(percent_columns)
    for row in rows:
        sheet.append([inert(v) for v in row])
        for i in percent:
            sheet.cell(row=sheet.max_row, column=i + 1).number_format = "0.00%"
    sheet.freeze_panes = "A4"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
