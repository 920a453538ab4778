"""The rankings API over real cases: the hand-worked fixture's figures and composite score
come back exactly, drill-down goes district → street → community → cell, sorting follows the
request, the table exports as XLSX, and a community's leader sees their community alone."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.integration.services.rankings.fixture import COMMUNITY_A, COMMUNITY_B, DISTRICT, STREET

MARCH = {"period": "month", "date": "2026-03-15"}


def _get(api, headers, **query):
    resp = api.get("/api/v1/rankings", query_string={**MARCH, **query}, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def test_every_rate_and_the_composite_match_the_hand_worked_figures(api, login, ranked):
    _, admin = login("admin")
    body = _get(api, admin, level="department", within=DISTRICT)
    assert (body["from"], body["to"], body["scheme"]["name"]) == (
        "2026-03-01", "2026-03-31", "closure-weighted")  # fmt: skip
    rows = {row["code"]: row for row in body["items"]}
    a = rows["rk-a"]["values"]
    # The default scheme divides closure and on-time closure by 应结案 − 缓办 = 6 − 2, and
    # counts within it alone: case 3, closed after an extension, is no closure of it.
    assert a["cases"] == 8
    assert a["closure_rate"] == 3 / 4
    assert a["on_time_closure_rate"] == 2 / 4
    assert a["rework_rate"] == 1 / 5
    assert a["extension_rate"] == 2 / 7
    assert a["overdue_pending_rate"] == 2 / 8
    assert a["satisfaction_rate"] == 2 / 3
    assert (a["resolve_median"], a["resolve_p90"]) == (2.5 * 3600, 5 * 3600)
    assert (a["close_median"], a["close_p90"]) == (6 * 3600, 11 * 3600)
    # 督办数 and 催办数: the overdue case was supervised once and urged twice.
    assert (a["supervisions"], a["urgings"]) == (1, 2)
    assert (rows["rk-b"]["values"]["supervisions"], rows["rk-b"]["values"]["urgings"]) == (0, 0)
    # The supervised case is still dispatched (not handled): 10 − 0.5 × 1 − 1 × 1 = 8.5.
    assert a["supervised_unhandled"] == 1
    assert rows["rk-a"]["score"] == pytest.approx(
        50 * 0.5 + 30 * 0.75 + 10 * 0.8 + 8.5, rel=1e-12, abs=0)  # fmt: skip
    assert rows["rk-a"]["score"] == pytest.approx(64.0, rel=1e-12, abs=0)
    # Nothing wrong with rk-b's one case: every point of the default scheme.
    assert rows["rk-b"]["score"] == 100.0
    assert [r["code"] for r in body["items"]] == ["rk-b", "rk-a"]
    assert [r["rank"] for r in body["items"]] == [1, 2]
    closure = next(m for m in body["metrics"] if m["key"] == "closure_rate")
    assert closure["denominator"] == "due - postponed"


def test_a_configured_scheme_changes_the_denominator_and_the_score(api, login, ranked):
    _, admin = login("admin")
    body = _get(api, admin, level="department", within=DISTRICT, scheme="disposal-five")
    a = next(r for r in body["items"] if r["code"] == "rk-a")
    assert a["values"]["on_time_closure_rate"] == 2 / 6  # 立案 − 按时待处置 = 8 − 2
    assert a["values"]["closure_rate"] == 4 / 8
    assert a["score"] == pytest.approx(1256 / 21, rel=1e-12, abs=0)


def test_drill_down_from_the_district_to_the_cell(api, login, ranked):
    _, admin = login("admin")
    district = _get(api, admin, level="district", within=DISTRICT)
    assert [(r["code"], r["drill"]) for r in district["items"]] == [(DISTRICT, "street")]
    street = _get(api, admin, level="street", within=DISTRICT)
    assert [(r["code"], r["drill"]) for r in street["items"]] == [(STREET, "community")]
    communities = _get(api, admin, level="community", within=STREET)
    assert [(r["code"], r["drill"], r["values"]["cases"]) for r in communities["items"]] == [
        (COMMUNITY_B, "cell", 1), (COMMUNITY_A, "cell", 8)]  # fmt: skip
    cells = _get(api, admin, level="cell", within=COMMUNITY_A)
    assert [(r["code"], r["drill"]) for r in cells["items"]] == [(COMMUNITY_A + "001", None)]
    assert district["total"]["values"]["cases"] == 9


def test_sorting_by_a_metric_and_order(api, login, ranked):
    _, admin = login("admin")
    worst_first = _get(api, admin, level="community", within=STREET, sort="rework_rate",
                       order="desc")  # fmt: skip
    assert [r["code"] for r in worst_first["items"]] == [COMMUNITY_A, COMMUNITY_B]
    best_first = _get(api, admin, level="community", within=STREET, sort="rework_rate")
    assert [r["code"] for r in best_first["items"]] == [COMMUNITY_B, COMMUNITY_A]


def test_the_table_exports_as_xlsx(api, login, ranked):
    _, admin = login("admin")
    resp = api.get("/api/v1/rankings", headers=admin, query_string={
        **MARCH, "level": "department", "within": DISTRICT, "format": "xlsx"})  # fmt: skip
    assert resp.status_code == 200
    assert "attachment" in resp.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(resp.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:4] == ("排名", "代码", "部门", "综合得分")
    assert rows[3][:4] == (1, "rk-b", "rk-b", 100.0)
    assert rows[4][1] == "rk-a" and rows[4][3] == pytest.approx(64.0)
    assert rows[4][4:6] == (8, 0.75)  # cases, closure rate
    assert rows[-1][2] == "合计 Total"


def test_a_community_leader_sees_their_community_alone(api, login, ranked):
    _, leader = login("leader", jurisdiction=COMMUNITY_A)
    body = _get(api, leader, level="community", within=STREET)
    assert [r["code"] for r in body["items"]] == [COMMUNITY_A]
    assert body["total"]["values"]["cases"] == 8
    wider = _get(api, leader, level="department")
    assert [r["code"] for r in wider["items"]] == ["rk-a"]
    other = _get(api, leader, level="community", within=COMMUNITY_B)
    assert other["items"] == [] and other["total"]["values"]["cases"] == 0
    resp = api.get("/api/v1/rankings", headers=leader, query_string={
        **MARCH, "level": "community", "format": "xlsx"})  # fmt: skip
    codes = [row[1] for row in load_workbook(io.BytesIO(resp.data)).active.iter_rows(
        min_row=4, values_only=True)]  # fmt: skip
    assert codes == [COMMUNITY_A, None]


def test_week_over_week_trend(api, login, ranked):
    _, admin = login("admin")
    resp = api.get("/api/v1/rankings/trend", headers=admin,
                   query_string={"date": "2026-03-09", "weeks": 3, "within": DISTRICT})  # fmt: skip
    assert resp.status_code == 200, resp.get_json()
    weeks = resp.get_json()["weeks"]
    assert [(w["from"], w["to"]) for w in weeks] == [
        ("2026-02-23", "2026-03-01"),
        ("2026-03-02", "2026-03-08"),
        ("2026-03-09", "2026-03-15"),
    ]
    assert [w["values"]["cases"] for w in weeks] == [0, 9, 0]
    assert weeks[0]["delta"] is None and weeks[1]["delta"]["cases"] == 9
    assert weeks[2]["delta"]["cases"] == -9


def test_grid_workers_ranked_by_the_reports_they_filed(api, login, ranked):
    _, admin = login("admin")
    body = _get(api, admin, level="worker", within=DISTRICT)
    assert [(r["code"], r["name"], r["drill"]) for r in body["items"]] == [
        ("rk-worker-1", "王网格", None), ("rk-worker-2", "李网格", None)]  # fmt: skip
    one, two = (r["values"] for r in body["items"])
    # Worker 1 filed cases 1, 2, 8 (rejected) and 9 (fixed on the spot): 3 of 4 valid.
    assert (one["filed"], one["cases"], one["valid_rate"]) == (4, 3, 3 / 4)
    assert (one["on_spot_rate"], one["patrol_share"]) == (1 / 3, 1.0)
    # closed 3 of 应结案 3, on time 2 (case 2 late), rework 1 of 3 resolutions.
    assert (one["closure_rate"], one["on_time_closure_rate"], one["rework_rate"]) == (
        1.0, 2 / 3, 1 / 3)  # fmt: skip
    assert body["items"][0]["score"] == pytest.approx(50 * 2 / 3 + 30 + 10 * 2 / 3 + 10, abs=1e-9)
    # Worker 2: cases 3 (postponed), 4 (overdue, supervised) and 10: 应结案 − 缓办 = 3 − 1,
    # of which case 10 is closed (case 3's closure is outside the denominator).
    assert (two["filed"], two["cases"], two["valid_rate"], two["on_spot_rate"]) == (3, 3, 1.0, 0)
    assert (two["closure_rate"], two["on_time_closure_rate"]) == (1 / 2, 1 / 2)
    assert (two["supervisions"], two["supervised_unhandled"]) == (1, 1)
    assert body["items"][1]["score"] == pytest.approx(25 + 15 + 10 + 8.5, abs=1e-9)
    # The hotline's three cases are nobody's: the total is the workers' seven reports.
    assert body["total"]["values"]["filed"] == 7
    district = _get(api, admin, level="district", within=DISTRICT)["items"][0]["values"]
    assert (district["filed"], district["valid_rate"]) == (10, 9 / 10)
    assert (district["patrol_share"], district["on_spot_rate"]) == (6 / 9, 1 / 9)


def test_a_community_leader_ranks_the_workers_of_their_community_alone(api, login, ranked):
    _, leader = login("leader", jurisdiction=COMMUNITY_B)
    body = _get(api, leader, level="worker")
    assert [(r["code"], r["values"]["filed"]) for r in body["items"]] == [("rk-worker-2", 1)]
    resp = api.get("/api/v1/rankings", headers=leader, query_string={
        **MARCH, "level": "worker", "format": "xlsx"})  # fmt: skip
    assert resp.status_code == 200
    rows = list(load_workbook(io.BytesIO(resp.data)).active.iter_rows(values_only=True))
    assert rows[1][:4] == ("排名", "代码", "网格员", "综合得分")
    assert [row[1:3] for row in rows[3:]] == [("rk-worker-2", "李网格"), (None, "合计 Total")]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"scheme": "no-such"}, "scheme"),
        ({"period": "range"}, None),
        ({"level": "planet"}, "level"),
        ({"sort": "luck"}, "sort"),
        ({"within": "33021"}, "within"),
        ({"date": "2026-02-30"}, "date"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(api, login, query, field):
    _, admin = login("admin")
    resp = api.get("/api/v1/rankings", headers=admin, query_string={**MARCH, **query})
    assert resp.status_code == 422, resp.get_json()
    error = resp.get_json()["error"]
    if field is not None:
        assert error["field"] == field, error
    else:
        assert "from" in error["message"], error
