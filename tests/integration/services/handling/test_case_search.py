"""Case search in the command center: by number (whole or tail), phone (exact, within the
operator's place), Chinese text (substring and fuzzy), and the filters; keyset pages; the
XLSX export of a result; bad input answered with the parameter's name."""

from __future__ import annotations

import io
import uuid

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from tests.integration.services.handling.loop import captured_event

STREET = "330211009"
OTHER_STREET = "330211019"  # a street no other test counts the cases of


@pytest.fixture()
def found(api, login, cases, engine):
    """Three cases of this test in STREET with a tag of their own in their description (the
    first with a caller's phone, the second of another category and supervised), and
    find(**query) → the case numbers an operator of STREET finds with the tag."""
    tag = uuid.uuid4().hex[:8]
    made = []
    for i, category in enumerate(("104001", "201001", "104001")):
        report = cases.report(cases.fresh_cell(STREET), category,
                              description=f"庄市街道{tag}号窨井盖松动 第{i}起")  # fmt: skip
        cases.route(captured_event(engine, report["id"]))
        made.append(report)
    phone = f"1380000{uuid.uuid4().int % 10_000:04d}"
    with engine.begin() as conn:  # a hotline caller's phone, as the intake form records it
        conn.execute(text("UPDATE report SET reporter_phone = :p WHERE id = :id"),
                     {"p": phone, "id": made[0]["id"]})  # fmt: skip
        rows = conn.execute(
            text("SELECT r.id::text, r.case_no, c.id AS case_id, c.department_code, c.cell_code "
                 "FROM report r LEFT JOIN case_file c ON c.report_id = r.id "
                 "WHERE r.id = ANY(:ids)"), {"ids": [m["id"] for m in made]},
        ).mappings().all()  # fmt: skip
    by_report = {r["id"]: dict(r) for r in rows}
    made = [by_report[m["id"]] for m in made]
    operator = login("operator", jurisdiction=STREET)[1]
    supervised = api.post(f"/api/v1/operator/cases/{made[1]['case_id']}/supervise",
                          json={"note": "请尽快"}, headers=operator)  # fmt: skip
    assert supervised.status_code == 200, supervised.get_json()

    def find(headers=operator, **query) -> list[str]:
        resp = api.get("/api/v1/operator/cases/search", headers=headers,
                       query_string={"q": tag, **query})  # fmt: skip
        assert resp.status_code == 200, resp.get_json()
        return [c["case_no"] for c in resp.get_json()["items"]]

    return {"tag": tag, "made": made, "phone": phone, "operator": operator, "find": find}


def test_by_number_whole_or_tail(found):
    find, made = found["find"], found["made"]
    first = made[0]["case_no"]
    assert find(q=None, number=first) == [first]
    assert first in find(q=None, number=first[-6:])
    assert find(number=first[-6:]) == [first]  # with the tag: this case alone


def test_by_chinese_text_substring_and_fuzzy(found):
    find, tag, made = found["find"], found["tag"], found["made"]
    newest_first = [m["case_no"] for m in reversed(made)]
    assert find() == newest_first
    assert find(q=f"{tag}号窨井盖") == newest_first  # a substring
    assert find(q=f"庄市{tag}号窨井盖松了") == newest_first  # 街道 missing, 松了 for 松动
    assert find(q="完全无关的内容zzzz") == []


def test_by_phone_exactly_and_only_in_the_operators_place(found, login):
    find, phone, made = found["find"], found["phone"], found["made"]
    assert find(q=None, phone=phone) == [made[0]["case_no"]]
    assert find(q=None, phone=phone[:-1]) == []
    elsewhere = login("operator", jurisdiction=OTHER_STREET)[1]
    assert find(headers=elsewhere, q=None, phone=phone) == []


def test_by_the_filters(found):
    find, made = found["find"], found["made"]
    first, second, third = (m["case_no"] for m in made)
    assert find(state="dispatched") == [third, second, first]
    assert find(state="closed,reported") == []
    assert find(category="201001") == [second]
    held = made[1]["department_code"]
    assert find(department=held) == [m["case_no"] for m in reversed(made)
                                      if m["department_code"] == held]  # fmt: skip
    assert find(within=made[0]["cell_code"]) == [first]
    assert find(within=OTHER_STREET) == []
    assert find(supervised="true") == [second]
    assert find(supervised="false") == [third, first]
    assert find(category="104001", supervised="false", within=STREET) == [third, first]
    assert find(overdue="true") == []
    assert find(channel="grid") == [third, second, first]
    assert find(channel="hotline") == []
    assert find(**{"from": "2000-01-01", "to": "2000-01-02"}) == []


def test_keyset_pages_cover_the_result_once(found, api):
    seen, after = [], None
    while True:
        query = {"q": found["tag"], "limit": 1, **({"after": after} if after else {})}
        resp = api.get("/api/v1/operator/cases/search", headers=found["operator"],
                       query_string=query)  # fmt: skip
        assert resp.status_code == 200, resp.get_json()
        page = resp.get_json()
        seen += [c["case_no"] for c in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert seen == [m["case_no"] for m in reversed(found["made"])]


BAD = [({"state": "dispatched,lost"}, "state[1]"), ({"phone": "abc"}, "phone"),
       ({"number": "12"}, "number"), ({"within": "33"}, "within"),
       ({"from": "2025-02-01", "to": "2025-01-01"}, "to"), ({"limit": "0"}, "limit"),
       ({"from": "0001-01-01"}, "from"), ({"to": "9999-12-31"}, "to"),
       ({"colour": "red"}, "colour")]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "query", "field"),
    [("search", *bad) for bad in [*BAD, ({"after": "not-a-cursor"}, "after")]]
    + [("heat", *bad) for bad in BAD],  # the heat map reads no pages: `after` is not used
)
def test_bad_input_names_the_parameter(api, login, query, field, kind):
    operator = login("operator", jurisdiction=STREET)[1]
    resp = api.get(f"/api/v1/operator/cases/{kind}", headers=operator, query_string=query)
    assert resp.status_code == 422, resp.get_json()
    assert resp.get_json()["error"]["field"] == field


def test_the_result_exported_as_xlsx(found, api):
    resp = api.get("/api/v1/operator/cases/search/export", headers=found["operator"],
                   query_string={"q": found["tag"]})  # fmt: skip
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(resp.get_data()))["案件"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["案卷号", "上报时间", "渠道"] and rows[1][0] == "Case no."
    assert [r[0] for r in rows[2:]] == [m["case_no"] for m in reversed(found["made"])]
    assert rows[2][4] == "已派遣" and rows[2][5].startswith("庄市街道")


def test_the_heat_map_counts_the_found_cases_by_place(found, api, engine, login):
    def heat(headers=found["operator"], **query):
        resp = api.get("/api/v1/operator/cases/heat", headers=headers,
                       query_string={"q": found["tag"], **query})  # fmt: skip
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()

    with engine.connect() as conn:
        places = conn.execute(
            text("SELECT ST_Y(geom) AS lat, ST_X(geom) AS lng, category_code FROM case_file "
                 "WHERE id = ANY(:ids)"), {"ids": [m["case_id"] for m in found["made"]]},
        ).all()  # fmt: skip
    every = heat()
    assert sum(p[2] for p in every["points"]) == 3 and every["max"] >= 1
    for place in places:  # each case counted in the ~11 m square it lies in
        assert any(abs(p[0] - place.lat) <= 0.00005 and abs(p[1] - place.lng) <= 0.00005
                   for p in every["points"]), (place, every)  # fmt: skip
    assert sum(p[2] for p in heat(category="104001")["points"]) == 2
    assert heat(**{"from": "2000-01-01", "to": "2000-01-02"}) == {"points": [], "max": 0}
    elsewhere = login("operator", jurisdiction=OTHER_STREET)[1]
    assert heat(headers=elsewhere) == {"points": [], "max": 0}
