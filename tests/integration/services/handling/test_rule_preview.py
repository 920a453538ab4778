"""The admin's "which department would get a report here?": a category and a point give the
cell, the winning rule and the candidates it beat; a more specific rule takes over at once; a
point outside the grid falls back; bad input names its field. And the open cases a department
holds, shown before it is deactivated."""

from __future__ import annotations

import pytest

from tests.e2e.live_pages import fresh_point
from tests.integration.services.accounts import signed_in
from tests.integration.services.grid_fixtures import cell_points

PREVIEW = "/api/v1/admin/rules/preview"


@pytest.fixture()
def admin(api, engine, demo):
    return signed_in(api, engine, "admin")[1]


def test_preview_names_the_winner_and_a_cell_rule_takes_over(api, engine, admin):
    street = cell_points(engine)[0].street
    cell, lat, lng = fresh_point(engine, street)
    query = {"category": "201001", "lat": lat, "lng": lng}
    before = api.get(PREVIEW, query_string=query, headers=admin).get_json()
    assert (before["status"], before["cell_code"], before["fallback"]) == ("inside", cell, False)
    assert before["candidates"][0]["outcome"] == "chosen"
    assert before["rule"] == {k: v for k, v in before["candidates"][0].items() if k != "outcome"}
    winner = before["department_code"]
    other = "greening" if winner != "greening" else "sanitation"

    rule = {"category_code": "201001", "jurisdiction_code": cell, "department_code": other}
    added = api.post("/api/v1/admin/rules", headers=admin, json=rule)
    assert added.status_code == 201, added.get_json()
    try:
        after = api.get(PREVIEW, query_string=query, headers=admin).get_json()
        assert (after["department_code"], after["rule"]["level"]) == (other, "cell")
        outcomes = [(c["department_code"], c["outcome"]) for c in after["candidates"]]
        assert outcomes[0] == (other, "chosen") and (winner, "outranked") in outcomes
    finally:
        rules = api.get("/api/v1/admin/rules", headers=admin).get_json()["items"]
        [mine] = [r for r in rules if r["jurisdiction_code"] == cell]
        assert api.delete(f"/api/v1/admin/rules/{mine['id']}", headers=admin).status_code == 200


def test_outside_the_grid_falls_back_and_bad_input_names_its_field(api, admin):
    far = api.get(PREVIEW, query_string={"category": "201001", "lat": 10, "lng": 10},
                     headers=admin).get_json()  # fmt: skip
    assert (far["status"], far["fallback"], far["rule"], far["candidates"]) == (
        "outside", True, None, [])  # fmt: skip
    for query, field in (
        ({"category": "999999", "lat": 29.9, "lng": 121.6}, "category"),
        ({"category": "201001", "lat": 91, "lng": 121.6}, "lat"),
        ({"category": "201001", "lng": 121.6}, "lat"),
    ):
        resp = api.get(PREVIEW, query_string=query, headers=admin)
        assert (resp.status_code, resp.get_json()["error"]["field"]) == (422, field), query


def test_open_cases_per_department(api, admin, cases):
    def counts():
        resp = api.get("/api/v1/admin/departments/open-cases", headers=admin)
        return resp.get_json()["counts"]

    case = cases.case("201001")
    assert case["state"] == "dispatched" and counts()[case["department_code"]] >= 1
