"""A supervision notice's files: the printable page (HTML), the PDF (WeasyPrint: Pango with
the system's CJK font) and the XLSX, all rendered from the notice's stored body."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from openpyxl import Workbook
from openpyxl.styles import Font

from services.domain.ranking import BY_KEY
from services.stats.notices import SHOWN
from services.stats.xlsx import inert

LEVEL_ZH = {"street": "街道", "community": "社区"}
_ENV = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                   autoescape=select_autoescape(["html"]))  # fmt: skip


def _fmt(key: str, value: Any) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.2f}%" if BY_KEY[key].kind == "rate" else str(value)


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _ranking(rows: list[dict], what: str) -> Markup:
    head = "".join(f"<th>{escape(BY_KEY[k].zh)}</th>" for k in SHOWN)
    out = [f"<table><tr><th>排名</th><th>{escape(what)}</th><th>综合得分</th>{head}</tr>"]
    for row in rows:
        cells = "".join(f'<td class="num">{escape(_fmt(k, row["values"][k]))}</td>' for k in SHOWN)
        out.append(f"<tr><td>{escape(row['rank'] or '—')}</td>"
                   f"<td>{escape(row['name'] or row['code'] or '—')}</td>"
                   f'<td class="num">{escape(_score(row["score"]))}</td>{cells}</tr>')  # fmt: skip
    if not rows:
        out.append(f'<tr><td colspan="{len(SHOWN) + 3}">无</td></tr>')
    return Markup("".join(out) + "</table>")


def notice_html(body: dict[str, Any]) -> str:
    """The notice as a printable HTML page (also the PDF's source)."""
    return _ENV.get_template("notice.html").render(
        n=body, metrics=[(k, BY_KEY[k].zh) for k in SHOWN], fmt=_fmt, score=_score,
        ranking=_ranking, level_zh=LEVEL_ZH.get(body.get("places_level", ""), ""),
    )  # fmt: skip


def notice_pdf(body: dict[str, Any]) -> bytes:
    """The notice as an A4 PDF with its Chinese text embedded (extractable)."""
    from weasyprint import HTML

    return HTML(string=notice_html(body)).write_pdf()


def notice_xlsx(body: dict[str, Any]) -> bytes:
    """The notice as a workbook: 总体, 部门排名, the places' ranking, 超期案件, 退回类别."""
    wb = Workbook()
    totals = wb.active
    totals.title = "总体"
    totals.append([inert(body["title"])])
    totals["A1"].font = Font(bold=True, size=14)
    totals.append(["指标", "数值"])
    for key in SHOWN:
        totals.append([BY_KEY[key].zh, body["totals"][key]])
    totals.append(["综合得分", body["score"]])
    places = f"{LEVEL_ZH.get(body['places_level'], '')}排名"
    for title, rows in (("部门排名", body["departments"]), (places, body["places"])):
        sheet = wb.create_sheet(title)
        sheet.append(["排名", "代码", "名称", "综合得分", *(BY_KEY[k].zh for k in SHOWN)])
        for row in rows:
            sheet.append([row["rank"], row["code"], inert(row["name"]), row["score"],
                          *(row["values"][k] for k in SHOWN)])  # fmt: skip
    overdue = wb.create_sheet("超期案件")
    overdue.append(["案卷编号", "类别", "责任部门", "处置时限", "超期天数"])
    for o in body["overdue"]:
        overdue.append([o["case_no"], inert(o["category"]), inert(o["department"]),
                        o["resolve_due"], o["days_overdue"]])  # fmt: skip
    returned = wb.create_sheet("退回类别")
    returned.append(["类别", "退回次数"])
    for r in body["returned"]:
        returned.append([inert(r["category"]), r["returns"]])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
