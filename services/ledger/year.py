"""A place's ledger of a whole year (年度台账): every case of a district, street or community
received in the year, one line each (the monthly ledger's columns, services.ledger.rows), as
one XLSX workbook.

A district's year is ~1,000,000 lines. They are read from a server-side cursor a batch at a
time and written by XlsxWriter in `constant_memory` mode, which flushes each row to a
temporary file as the next begins and writes strings inline (no shared-strings table growing
with every case number): the process holds a batch of rows, whatever the year's size. A sheet
takes at most `ROWS_PER_SHEET` lines (a worksheet holds 1,048,576 rows); the next lines go on
`台账2`, `台账3`, … The finished file is then read back in chunks for the HTTP response and
removed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

import xlsxwriter

from services.domain.calendar import DEFAULT_TIMEZONE
from services.ledger.rows import COLUMNS, line_writer
from services.stats.facts import Period, kpi_facts_of
from services.stats.xlsx import inert
from services.store import ledger_rows as store
from services.store.scopes import Scope, scope_sql

ROWS_PER_SHEET = 1_000_000
CHUNK = 256 * 1024
PAUSE_EVERY = 500  # rows between two chances for the server's other requests to run


def year_period(year: int, zone: str = DEFAULT_TIMEZONE) -> Period:
    """The local dates of `year`."""
    return Period(date(year, 1, 1), date(year, 12, 31), zone)


def file_name(place: str, year: int) -> str:
    return f"{place}-{year}.xlsx"


def write_year_xlsx(
    source: Any,
    place: str,
    year: int,
    path: str,
    *,
    now: datetime,
    zone: str = DEFAULT_TIMEZONE,
    name: str | None = None,
    pause: Callable[[], None] | None = None,
) -> int:
    """Writes the year's ledger of `place` (a 6-, 9- or 12-digit code; `name` for the title)
    to the XLSX file `path`, reading from `source` (an Engine, or the API's
    services.store.reading.Reading), as of `now` (the year's end if earlier); returns the lines
    written. `pause` is called every few hundred rows (a cooperative server yields there)."""
    period = year_period(year, zone)
    line = line_writer(period.as_of(now), zone)
    where, params = scope_sql(Scope.place(place))
    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_formulas": False,
                                      "strings_to_urls": False,
                                      "tmpdir": os.path.dirname(path)})  # fmt: skip
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 14})
    sheet, row_no, written = None, 0, 0
    try:
        with source.connect() as conn:
            for row in store.year_lines(conn, period.start, period.end, where, params):
                if sheet is None or row_no >= ROWS_PER_SHEET + 3:
                    sheet = _new_sheet(book, written, f"{name or place} {year}年 案卷台账",
                                       title, bold)  # fmt: skip
                    row_no = 3
                written += 1
                cells = line(written, row, kpi_facts_of(row))
                sheet.write_row(row_no, 0, [inert(v) for v in cells])
                row_no += 1
                if pause is not None and written % PAUSE_EVERY == 0:
                    pause()
        if sheet is None:
            _new_sheet(book, 0, f"{name or place} {year}年 案卷台账", title, bold)
    finally:
        book.close()
    return written


def _new_sheet(book, written: int, heading: str, title, bold):
    """A 台账 sheet (台账2, … after the first) with the title and the two header rows."""
    number = written // ROWS_PER_SHEET + 1
    sheet = book.add_worksheet("台账" if number == 1 else f"台账{number}")
    sheet.write_string(0, 0, inert(heading), title)
    sheet.write_row(1, 0, [zh for zh, _ in COLUMNS], bold)
    sheet.write_row(2, 0, [en for _, en in COLUMNS], bold)
    for column, width in ((1, 20), (2, 17), (6, 40), (9, 24)):
        sheet.set_column(column, column, width)
    return sheet


def year_ledger_chunks(
    source: Any,
    place: str,
    year: int,
    *,
    now: datetime,
    zone: str = DEFAULT_TIMEZONE,
    name: str | None = None,
    pause: Callable[[], None] | None = None,
) -> Iterator[bytes]:
    """The year's ledger of `place` as the bytes of an XLSX file, in chunks: written to a
    temporary file first (row by row, constant memory), then read back; the file is removed
    when the last chunk is taken or the reader stops early."""
    directory = tempfile.mkdtemp(prefix="gridflow-year-")
    path = os.path.join(directory, file_name(place, year))
    try:
        write_year_xlsx(source, place, year, path, now=now, zone=zone, name=name, pause=pause)
        with open(path, "rb") as data:
            while chunk := data.read(CHUNK):
                yield chunk
                if pause is not None:
                    pause()
    finally:
        for leftover in os.listdir(directory):
            os.unlink(os.path.join(directory, leftover))
        os.rmdir(directory)
