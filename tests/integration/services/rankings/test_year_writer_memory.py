"""The year's ledger writer keeps the same memory however many lines it writes (rows from a
cursor, written as they come) and hands its first bytes on before it has read the last line,
and every line reaches the workbook."""

from __future__ import annotations

import contextlib
import io
import tracemalloc
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook

from services.ledger import year

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def _rows(n: int):
    for i in range(n):
        at = T0 + timedelta(minutes=i)
        yield {
            "case_id": str(i), "case_no": f"B{i:09d}", "created_at": at, "state": "closed",
            "channel": "grid", "big_class_zh": "市容环境", "category_zh": "暴露垃圾",
            "description": f"巡查发现问题 {i}", "redacted": False, "cell_code": "330211001001001",
            "address": None, "department_zh": "环卫所", "ack_overdue": False,
            "resolve_overdue": False, "extension_count": 0, "rework_count": 0,
            "escalation_level": 0, "rating": "satisfied", "department_code": "d",
            "resolve_due": at + timedelta(hours=4), "dispatched_at": at,
            "acknowledged_at": at, "resolved_at": at + timedelta(hours=1),
            "closed_at": at + timedelta(hours=2), "postponed": False, "resolutions": 1,
            "failed_verifications": 0, "supervisions": 0, "urgings": 0, "revisit_rating": None,
            "worker_id": 7, "on_spot": False,
        }  # fmt: skip


class _Source:
    """Stands for the database: `connect()` as an Engine's (the rows come from year_lines)."""

    def connect(self):
        return contextlib.nullcontext(None)


def _peak(tmp_path, monkeypatch, n: int):
    monkeypatch.setattr(year.store, "year_lines", lambda conn, *a, **k: _rows(n))
    path = tmp_path / f"{n}.xlsx"
    tracemalloc.start()
    try:
        written = year.write_year_xlsx(_Source(), "330211", 2026, str(path), now=T0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert written == n
    return peak, path


def test_memory_does_not_grow_with_the_lines(tmp_path, monkeypatch):
    small, _ = _peak(tmp_path, monkeypatch, 500)
    large, path = _peak(tmp_path, monkeypatch, 5_000)
    # Ten times the lines, not ten times the memory: within 1 MiB of the small run's peak.
    assert large - small < 2**20, (small, large)
    book = load_workbook(path, read_only=True)
    lines = list(book["台账"].iter_rows(min_row=4, values_only=True))
    book.close()
    assert len(lines) == 5_000
    assert lines[-1][:2] == (5_000, "B000004999") and lines[-1][16] == "是"


def test_the_first_bytes_leave_before_the_last_line_is_read(monkeypatch):
    read = [0]

    def counted(conn, *args, **kwargs):
        for row in _rows(20_000):
            read[0] += 1
            yield row

    monkeypatch.setattr(year.store, "year_lines", counted)
    chunks = year.year_ledger_chunks(_Source(), "330211", 2026, now=T0)
    first = next(chunks)
    # A client sees the workbook begin after a few thousand lines, not after the whole year.
    assert first.startswith(b"PK") and 0 < read[0] < 10_000, read[0]
    data = first + b"".join(chunks)
    assert read[0] == 20_000
    book = load_workbook(io.BytesIO(data), read_only=True)
    sheet = book["台账"]
    assert next(sheet.iter_rows(max_row=1, values_only=True))[0] == "330211 2026年 案卷台账"
    lines = list(sheet.iter_rows(min_row=4, values_only=True))
    book.close()
    assert len(lines) == 20_000 and lines[0][:2] == (1, "B000000000")
