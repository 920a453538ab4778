"""A place's ledger of a whole year (年度台账): every case of a district, street or community
received in the year, one line each (the monthly ledger's columns, services.ledger.rows), as
one XLSX workbook.

A district's year is ~1,000,000 lines. They are read from a server-side cursor a batch at a
time and written by `services.stats.xlsx_stream.StreamedBook`, whose compressed bytes are
handed on as they come: the first chunk leaves after the first few thousand lines, not after
the whole year, and the process holds a batch of rows and a chunk, whatever the year's size.
A sheet takes at most `ROWS_PER_SHEET` lines (a worksheet holds 1,048,576 rows); the next
lines go on `台账2`, `台账3`, …
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

from services.domain.calendar import DEFAULT_TIMEZONE
from services.ledger.rows import COLUMNS, line_writer
from services.stats.facts import Period, kpi_facts_of
from services.stats.xlsx import inert
from services.stats.xlsx_stream import BOLD, TITLE, StreamedBook
from services.store import ledger_rows as store
from services.store.scopes import Scope, scope_sql

ROWS_PER_SHEET = 1_000_000
CHUNK = 256 * 1024
PAUSE_EVERY = 500  # rows between two chances for the server's other requests to run
WIDTHS = {1: 20, 2: 17, 6: 40, 9: 24}


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
    """Writes the year's ledger of `place` to the XLSX file `path` (as `year_ledger_chunks`
    gives it); returns the lines written."""
    written = [0]
    with open(path, "wb") as out:
        for chunk in _chunks(source, place, year, now, zone, name, pause, written):
            out.write(chunk)
    return written[0]


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
    """The year's ledger of `place` (a 6-, 9- or 12-digit code; `name` for the title) as the
    bytes of an XLSX file, in chunks of about CHUNK bytes handed on as they are written,
    reading from `source` (an Engine, or the API's services.store.reading.Reading), as of `now`
    (the year's end if earlier). `pause` is called every few hundred rows and after each chunk
    (a cooperative server yields there)."""
    return _chunks(source, place, year, now, zone, name, pause, [0])


def _chunks(source, place, year, now, zone, name, pause, written: list[int]) -> Iterator[bytes]:
    """The workbook's chunks; `written[0]` counts the lines."""
    period = year_period(year, zone)
    line = line_writer(period.as_of(now), zone)
    where, params = scope_sql(Scope.place(place))
    heading = inert(f"{name or place} {year}年 案卷台账")
    book = StreamedBook()
    rows_in_sheet = None
    with source.connect() as conn:
        for row in store.year_lines(conn, period.start, period.end, where, params):
            if rows_in_sheet is None or rows_in_sheet >= ROWS_PER_SHEET:
                _new_sheet(book, written[0], heading)
                rows_in_sheet = 0
            written[0] += 1
            rows_in_sheet += 1
            book.write_row([inert(v) for v in line(written[0], row, kpi_facts_of(row))])
            if pause is not None and written[0] % PAUSE_EVERY == 0:
                pause()
            if book.pending >= CHUNK:
                yield book.take()
                if pause is not None:
                    pause()
    if rows_in_sheet is None:
        _new_sheet(book, 0, heading)
    yield book.close()


def _new_sheet(book: StreamedBook, written: int, heading: str) -> None:
    """A 台账 sheet (台账2, … after the first) with the title and the two header rows."""
    number = written // ROWS_PER_SHEET + 1
    book.add_sheet("台账" if number == 1 else f"台账{number}", WIDTHS)
    book.write_row([heading], TITLE)
    book.write_row([zh for zh, _ in COLUMNS], BOLD)
    book.write_row([en for _, en in COLUMNS], BOLD)
