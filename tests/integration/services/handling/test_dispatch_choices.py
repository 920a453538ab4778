"""The departments an operator may dispatch or re-dispatch a case to by hand: what the list
offers, a dispatch accepts; what a dispatch refuses, the list leaves out."""

from __future__ import annotations

STREET = "330211009"


def _choices(api, headers, case_id: str) -> dict[str, dict]:
    resp = api.get(f"/api/v1/operator/cases/{case_id}/departments", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return {d["code"]: d for d in resp.get_json()["items"]}


def test_the_departments_listed_are_those_a_dispatch_accepts(api, login, cases):
    case = cases.case("104001")
    operator = login("operator", jurisdiction=STREET)[1]
    choices = _choices(api, operator, case["id"])
    holder = [code for code, d in choices.items() if d["current"]]
    assert holder == [case["department_code"]]
    assert choices[holder[0]]["routed"]  # the routing rules put it there
    assert "community-007001" not in choices  # a committee without 104001 on its list
    assert {"zh", "en"} <= set(choices["sanitation"]["name"])
    refused = api.post(f"/api/v1/operator/cases/{case['id']}/dispatch", headers=operator,
                       json={"department_code": "community-007001"})  # fmt: skip
    assert refused.status_code == 422
    assert refused.get_json()["error"]["field"] == "department_code"

    other = next(code for code, d in choices.items() if not d["current"])
    moved = api.post(f"/api/v1/operator/cases/{case['id']}/dispatch", headers=operator,
                     json={"department_code": other})  # fmt: skip
    assert moved.status_code == 200, moved.get_json()
    after = _choices(api, operator, case["id"])
    assert [code for code, d in after.items() if d["current"]] == [other]


def test_a_case_outside_the_operator_place_is_not_found(api, login, cases):
    case = cases.case("104001")
    elsewhere = login("operator", jurisdiction="330211001")[1]
    resp = api.get(f"/api/v1/operator/cases/{case['id']}/departments", headers=elsewhere)
    assert resp.status_code == 404
