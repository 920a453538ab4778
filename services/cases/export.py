"""The command center's search result as an XLSX workbook (up to `MAX_ROWS` cases), written
as the rows are read and sent as it is written: the database hands rows over in batches
(a server-side cursor), openpyxl's write-only sheet writes each row out at once (to a
temporary file, as an XLSX is a zip), and the response reads the finished file back in
chunks. Memory holds a batch of rows and a chunk, never the result.

Text is made inert the way the ledgers make it (services.ledger.export.inert); a report whose
text moderation withholds is written as the ledgers write it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from services.domain.calendar import DEFAULT_TIMEZONE
from services.ledger.export import inert
from services.ledger.rows import CHANNELS_ZH, REDACTED, STATES_ZH
from services.store.cases.search import CaseSearch, export_rows
from services.store.reading import Connects

MAX_ROWS = 50_000
CHUNK = 64 * 1024
HEADER = [
    ("案卷号", "Case no."), ("上报时间", "Reported"), ("渠道", "Channel"), ("小类", "Category"),
    ("状态", "State"), ("问题描述", "Description"), ("地址", "Address"), ("网格", "Cell"),
    ("处置部门", "Department"), ("处置时限", "Resolve due"), ("结案时间", "Closed"),
    ("是否超期", "Overdue"),
]  # fmt: skip


def _line(row, local: ZoneInfo) -> list:
    def when(moment: datetime | None) -> str:
        return moment.astimezone(local).strftime("%Y-%m-%d %H:%M") if moment else ""

    description = REDACTED if row.withheld else row.description
    address = REDACTED if row.withheld else row.address
    return [inert(v) for v in (
        row.case_no, when(row.created_at), CHANNELS_ZH.get(row.channel, row.channel),
        row.category_zh, STATES_ZH.get(row.state, row.state), description or "",
        address or "", row.cell_code or "", row.department_zh or "", when(row.resolve_due),
        when(row.closed_at), "是" if row.overdue else "否",
    )]  # fmt: skip


def search_xlsx(
    source: Connects, search: CaseSearch, *, zone: str = DEFAULT_TIMEZONE
) -> Iterator[bytes]:
    """The workbook of the cases `search` finds, newest first, as chunks of bytes, read from
    `source` (the API passes its Reading: the replica when it serves). The rows
    are read and written before the first chunk is yielded (the zip's directory comes last);
    the temporary file is gone when the iterator is exhausted or closed."""
    local = ZoneInfo(zone)
    with tempfile.TemporaryFile() as spool:
        wb = Workbook(write_only=True)
        sheet = wb.create_sheet("案件")
        sheet.append([zh for zh, _ in HEADER])
        sheet.append([en for _, en in HEADER])
        with source.connect() as conn:
            for row in export_rows(conn, search, limit=MAX_ROWS):
                sheet.append(_line(row, local))
        wb.save(spool)
        spool.seek(0)
        while chunk := spool.read(CHUNK):
            yield chunk
