"""The command center's case list in Chromium: an operator finds a case by the tail of its
number, by Chinese words of its description and by the caller's phone; a row opens the case
panel, and the result downloads as an XLSX workbook."""

from __future__ import annotations

import io
import uuid

from openpyxl import load_workbook
from sqlalchemy import text

from tests.e2e.isolated import own_module
from tests.e2e.live_pages import account, sign_in
from tests.integration.services.grid_fixtures import cell_points

stack, engine, live_server, writer = own_module("search")


def _search(page, **fields) -> list[str]:
    """Fills the search form with `fields` (others emptied), submits it and returns the case
    ids of the rows listed."""
    form = page.locator("#search-form")
    for name in ("number", "phone", "q"):
        form.locator(f"input[name={name}]").fill(fields.get(name, ""))
    with page.expect_response(lambda r: "/cases/search?" in r.url):
        form.locator("button[type=submit]").click()
    return page.eval_on_selector_all(
        "#search-results li", "rows => rows.map(r => r.dataset.caseId)"
    )


def test_an_operator_finds_a_case_by_number_text_and_phone(page, live_server, engine, writer):
    cells = cell_points(engine)
    mark, other = uuid.uuid4().hex[:8], uuid.uuid4().hex[:8]
    wanted = writer.new_case(cells[1].code, description=f"庄市街道{mark}号窨井盖松动")
    writer.new_case(cells[2].code, description=f"招宝山{other}号路灯不亮")
    phone = f"1390000{uuid.uuid4().int % 10_000:04d}"
    with engine.begin() as conn:
        case_no = conn.execute(
            text("UPDATE report r SET reporter_phone = :p FROM case_file c WHERE "
                 "c.report_id = r.id AND c.id = :id RETURNING r.case_no"),
            {"p": phone, "id": wanted},
        ).scalar_one()  # fmt: skip
    _, operator = account(engine, "operator", jurisdiction=cells[0].street)
    sign_in(page, live_server, "/", operator)
    assert page.locator(".search-box h3").inner_text() == "案件查询"

    assert _search(page, number=case_no[-8:]) == [wanted]
    assert _search(page, q=f"{mark}号窨井盖") == [wanted]  # a substring, in Chinese
    assert _search(page, q=f"庄市{mark}号窨井盖松了") == [wanted]  # fuzzy
    assert _search(page, phone=phone) == [wanted]
    assert _search(page, q="没有这样的案件描述") == []
    assert page.locator("#search-status").inner_text() == "没有符合条件的案件"

    _search(page, phone=phone)
    page.click(f"#search-results li[data-case-id='{wanted}']")
    panel = page.locator("#case-panel")
    panel.wait_for(state="visible")
    assert case_no in panel.locator("h2").inner_text()
    assert f"庄市街道{mark}号窨井盖松动" in panel.inner_text()

    with page.expect_download() as download:
        page.click("#search-export")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes()))["案件"]
    assert [row[0].value for row in sheet.iter_rows(min_row=3)] == [case_no]
