"""A place's ledger of a whole year over HTTP: every case of the year, one line each, written
row by row and streamed; a sheet full goes on to the next; scoped like the monthly ledgers."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from services.ledger import year as year_ledger
from tests.integration.services.accounts import signed_in
from tests.integration.services.rankings.fixture import COMMUNITY_A, COMMUNITY_B, DISTRICT

URL = "/api/v1/ledgers/year"


@pytest.fixture()
def client(app, ranked):
    return app.test_client()


def _get(client, query, headers):
    resp = client.get(f"{URL}?{query}", headers=headers)
    body = resp.get_data()
    resp.close()
    return resp, body


def _lines(body: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(body))
    return {s.title: list(s.iter_rows(min_row=4, values_only=True)) for s in book.worksheets}


def test_the_districts_year_streamed_with_every_case_and_its_verdicts(client, engine):
    admin = signed_in(client, engine, "admin")[1]
    resp = client.get(f"{URL}?year=2026&place={DISTRICT}", headers=admin)
    assert resp.status_code == 200 and resp.is_streamed
    assert resp.headers["Content-Disposition"] == f'attachment; filename="{DISTRICT}-2026.xlsx"'
    body = resp.get_data()
    resp.close()
    book = load_workbook(io.BytesIO(body))
    sheet = book["台账"]
    assert sheet["A1"].value == f"{DISTRICT} 2026年 案卷台账"
    assert [c.value for c in sheet[2]][:3] == ["序号", "案卷号", "上报时间"]
    lines = list(sheet.iter_rows(min_row=4, values_only=True))
    assert [line[0] for line in lines] == list(range(1, 11))  # all ten, the rejected one too
    by_no = {line[1][:5]: line for line in lines}
    on_time = {no: line[16] for no, line in by_no.items()}
    # Case 1 (R0000) on time, case 2 late, cases 3 and 6 postponed, case 8 rejected.
    assert (on_time["R0000"], on_time["R0001"], on_time["R0002"]) == ("是", "否", "延期")
    assert on_time["R0005"] == "延期" and by_no["R0007"][10] == "不予立案"
    assert (by_no["R0003"][21], by_no["R0003"][22]) == (1, 2)  # supervised once, urged twice
    empty, body = _get(client, f"year=2025&place={DISTRICT}", admin)
    assert empty.status_code == 200 and _lines(body) == {"台账": []}


def test_a_full_sheet_goes_on_to_the_next(client, engine, monkeypatch):
    monkeypatch.setattr(year_ledger, "ROWS_PER_SHEET", 4)
    admin = signed_in(client, engine, "admin")[1]
    resp, body = _get(client, f"year=2026&place={DISTRICT}", admin)
    assert resp.status_code == 200
    sheets = _lines(body)
    assert list(sheets) == ["台账", "台账2", "台账3"]
    assert [[line[0] for line in lines] for lines in sheets.values()] == [
        [1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]  # fmt: skip


def test_a_community_leader_gets_their_community_year_alone(client, engine):
    leader = signed_in(client, engine, "leader", jurisdiction=COMMUNITY_A)[1]
    own, body = _get(client, "year=2026", leader)  # the caller's place by default
    assert own.status_code == 200
    assert own.headers["Content-Disposition"].endswith(f'{COMMUNITY_A}-2026.xlsx"')
    assert len(_lines(body)["台账"]) == 9
    for place in (COMMUNITY_B, DISTRICT):
        other, _ = _get(client, f"year=2026&place={place}", leader)
        assert other.status_code == 404 and other.get_json()["error"]["field"] == "place"


@pytest.mark.parametrize(
    ("query", "field"),
    [("year=1999", "year"), ("year=20x6", "year"), ("", "year"),
     ("year=2026&place=1234", "place"), ("year=2026", "place")],
)  # fmt: skip
def test_bad_input_names_the_field(client, engine, query, field):
    admin = signed_in(client, engine, "admin")[1]  # an admin has no place of their own
    resp, _ = _get(client, query, admin)
    assert resp.status_code == 422 and resp.get_json()["error"]["field"] == field
