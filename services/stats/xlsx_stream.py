"""A workbook whose bytes are handed on as it is written, for a table too long to hold (a
district's year of cases): sheet by sheet, row by row, each chunk as soon as it is compressed.

An XLSX file is a ZIP of XML parts. Python's zipfile writes to a stream it cannot seek back
into by putting each part's sizes after its data (a data descriptor), so nothing written is
ever rewritten: the worksheets go first, row by row, then the parts that depend on how many
sheets there were (the workbook, its relationships, the content types) and the styles. Text
is written inline in its cell (no shared-strings table growing with the rows). A cell holds
an int, a float or text; None leaves it empty.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from openpyxl.utils import get_column_letter

NORMAL, BOLD, TITLE = 0, 1, 2  # the cell styles of STYLES' cellXfs
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_PKG_RELS = "application/vnd.openxmlformats-package.relationships+xml"
STYLES = f"""{_HEAD}<styleSheet xmlns="{_MAIN}">
<fonts count="3"><font><sz val="11"/><name val="Calibri"/></font>
<font><b/><sz val="11"/><name val="Calibri"/></font>
<font><b/><sz val="14"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill>
<fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>
<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""


class _Pending(io.RawIOBase):
    """Where the ZIP writer puts its bytes until they are taken (it cannot seek here)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        self.size = 0
        return data


class StreamedBook:
    """An XLSX workbook written as a stream: `add_sheet`, then `write_row` (rows numbered from
    1 in order), `pending` bytes ready to be sent, `take` them; `close` finishes the book and
    returns its last bytes."""

    def __init__(self) -> None:
        self._out = _Pending()
        self._zip = zipfile.ZipFile(self._out, "w", zipfile.ZIP_DEFLATED)
        self._sheet = None
        self._names: list[str] = []
        self._row = 0

    def add_sheet(self, name: str, widths: dict[int, float] | None = None) -> None:
        """Ends the current worksheet and starts one named `name`, with the width of some
        0-based columns (`widths`)."""
        self._end_sheet()
        self._names.append(name)
        part = f"xl/worksheets/sheet{len(self._names)}.xml"
        self._sheet = self._zip.open(part, "w", force_zip64=True)
        cols = "".join(
            f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"/>'
            for i, w in sorted((widths or {}).items())
        )
        cols = f"<cols>{cols}</cols>" if cols else ""
        self._sheet.write(f'{_HEAD}<worksheet xmlns="{_MAIN}">{cols}<sheetData>'.encode())
        self._row = 0

    def write_row(self, values: Sequence, style: int = NORMAL) -> None:
        """Appends a row of `values` to the current sheet, every cell in `style`."""
        self._row += 1
        r, s = self._row, f' s="{style}"' if style else ""
        cells = []
        for i, value in enumerate(values):
            if value is None:
                continue
            ref = f"{get_column_letter(i + 1)}{r}"
            if isinstance(value, bool) or not isinstance(value, int | float):
                text = escape(str(value))
                cells.append(f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">'
                             f"{text}</t></is></c>")  # fmt: skip
            else:
                cells.append(f'<c r="{ref}"{s}><v>{value!r}</v></c>')
        self._sheet.write(f'<row r="{r}">{"".join(cells)}</row>'.encode())

    @property
    def pending(self) -> int:
        """How many bytes are ready to be taken."""
        return self._out.size

    def take(self) -> bytes:
        """The bytes written since the last take."""
        return self._out.take()

    def close(self) -> bytes:
        """Ends the book (a sheet "Sheet1" when none was added); its last bytes."""
        if not self._names:
            self.add_sheet("Sheet1")
        self._end_sheet()
        count = len(self._names)
        sheets = "".join(
            f'<sheet name={quoteattr(n)} sheetId="{i}" r:id="rId{i}"/>'
            for i, n in enumerate(self._names, start=1)
        )
        self._zip.writestr("xl/workbook.xml", f'{_HEAD}<workbook xmlns="{_MAIN}" '
                           f'xmlns:r="{_REL}"><sheets>{sheets}</sheets></workbook>')  # fmt: skip
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, count + 1)
        )
        rels += f'<Relationship Id="rId{count + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
        self._zip.writestr("xl/_rels/workbook.xml.rels",
                           f'{_HEAD}<Relationships xmlns="{_PKG}/relationships">{rels}'
                           "</Relationships>")  # fmt: skip
        self._zip.writestr("xl/styles.xml", STYLES)
        self._zip.writestr("_rels/.rels", f'{_HEAD}<Relationships xmlns="{_PKG}/relationships">'
                           f'<Relationship Id="rId1" Type="{_REL}/officeDocument" '
                           'Target="xl/workbook.xml"/></Relationships>')  # fmt: skip
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            f'ContentType="{_TYPE}.worksheet+xml"/>'
            for i in range(1, count + 1)
        )
        self._zip.writestr("[Content_Types].xml", f'{_HEAD}<Types xmlns="{_PKG}/content-types">'
                           f'<Default Extension="rels" ContentType="{_PKG_RELS}"/>'
                           '<Default Extension="xml" ContentType="application/xml"/>'
                           f'<Override PartName="/xl/workbook.xml" '
                           f'ContentType="{_TYPE}.sheet.main+xml"/>{overrides}'
                           '<Override PartName="/xl/styles.xml" '
                           f'ContentType="{_TYPE}.styles+xml"/></Types>')  # fmt: skip
        self._zip.close()
        return self._out.take()

    def _end_sheet(self) -> None:
        if self._sheet is not None:
            self._sheet.write(b"</sheetData></worksheet>")
            self._sheet.close()
            self._sheet = None
