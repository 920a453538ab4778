"""The operator API: register or reject waiting reports, dispatch and re-dispatch by hand,
merge duplicates, decide extensions, supervise (督办), moderate; all within the operator's
jurisdiction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

STREET = "330211009"


def _operator(login, jurisdiction=STREET):
    return login("operator", jurisdiction=jurisdiction)[1]


def _post(api, headers, path, **body):
    return api.post(f"/api/v1/operator/{path}", json=body, headers=headers)


def test_a_waiting_report_is_registered_and_dispatched_by_hand(api, login, cases):
    waiting = cases.case("104001", routed=False)
    assert "id" not in waiting  # the router has not seen it: no case yet
    operator = _operator(login)
    report = waiting["report"]["id"]
    refused = _post(api, operator, f"reports/{report}/register", department_code="community-007001")
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "department_code"
    unknown = _post(api, operator, f"reports/{report}/register", department_code="nobody")
    assert unknown.status_code == 422 and unknown.get_json()["error"]["field"] == "department_code"

    resp = _post(api, operator, f"reports/{report}/register", department_code="sanitation")
    assert resp.status_code == 200, resp.get_json()
    case = resp.get_json()
    assert (case["state"], case["department_code"]) == ("dispatched", "sanitation")
    assert case["ack_due"] and case["resolve_due"]
    events = cases.events(case["id"])
    assert [e["type"] for e in events] == ["CaseRegistered", "CaseDispatched"]
    assert {e["actor"] for e in events} == {events[0]["actor"]}
    assert events[0]["actor"].startswith("operator-")

    again = _post(api, operator, f"reports/{report}/register")
    assert again.status_code == 409
    assert again.get_json()["error"]["details"]["allowed"] == [
        "dispatch", "acknowledge", "return", "request_extension"]  # fmt: skip


def test_a_waiting_report_is_rejected_with_a_reason(api, login, cases):
    waiting = cases.case("104001", routed=False)
    operator = _operator(login)
    path = f"reports/{waiting['report']['id']}/reject"
    assert _post(api, operator, path).get_json()["error"]["field"] == "reason"
    resp = _post(api, operator, path, reason="不属于城市管理范围")
    assert resp.status_code == 200 and resp.get_json()["state"] == "rejected"
    assert resp.get_json()["actions"] == []
    again = _post(api, operator, path, reason="again")
    assert again.status_code == 409 and again.get_json()["error"]["details"]["allowed"] == []
    [rejected] = cases.events(resp.get_json()["id"])
    assert (
        rejected["type"] == "CaseRejected" and rejected["payload"]["reason"] == "不属于城市管理范围"
    )


def test_outside_the_jurisdiction_nothing_exists(api, login, cases):
    case = cases.case("104001")
    other_street = _operator(login, "330211007")
    for path, body in (
        (f"cases/{case['id']}/dispatch", {"department_code": "sanitation"}),
        (f"reports/{case['report']['id']}/reject", {"reason": "x"}),
    ):
        resp = _post(api, other_street, path, **body)
        assert resp.status_code == 404, path
    assert api.get(f"/api/v1/operator/cases/{case['id']}", headers=other_street).status_code == 404
    listed = api.get("/api/v1/operator/cases?queue=all&per_page=200", headers=other_street)
    assert str(case["id"]) not in [i["id"] for i in listed.get_json()["items"]]
    district = _operator(login, "330211")
    assert api.get(f"/api/v1/operator/cases/{case['id']}", headers=district).status_code == 200
    staff = login("department_staff", department="greening")[1]
    assert api.get("/api/v1/operator/cases", headers=staff).status_code == 403


def test_a_returned_case_is_re_dispatched_to_another_department(api, login, cases):
    case = cases.case("104001")
    staff = login("department_staff", department="greening")[1]
    assert api.post(f"/api/v1/department/cases/{case['id']}/return", json={"reason": "非本部门"},
                    headers=staff).status_code == 200  # fmt: skip
    operator = _operator(login)
    resp = _post(api, operator, f"cases/{case['id']}/dispatch", department_code="sanitation")
    assert resp.status_code == 200, resp.get_json()
    assert (resp.get_json()["state"], resp.get_json()["department_code"]) == (
        "dispatched", "sanitation")  # fmt: skip
    last = cases.events(case["id"])[-1]
    assert last["type"] == "CaseDispatched"
    assert last["payload"]["previous_department_code"] == "greening"
    assert last["payload"]["redispatch"] is True
    # greening no longer sees it; sanitation does.
    assert api.get(f"/api/v1/department/cases/{case['id']}", headers=staff).status_code == 404
    same = _post(api, operator, f"cases/{case['id']}/dispatch", department_code="sanitation")
    assert same.status_code == 422 and same.get_json()["error"]["field"] == "department_code"


def test_moving_a_dispatched_case_lapses_its_extension_request(api, login, cases):
    case = cases.case("104001")
    staff = login("department_staff", department="greening")[1]
    later = (datetime.now(UTC) + timedelta(days=20)).isoformat()
    assert api.post(f"/api/v1/department/cases/{case['id']}/extension", headers=staff,
                    json={"requested_due": later, "reason": "等待"}).status_code == 200  # fmt: skip
    operator = _operator(login)
    resp = _post(api, operator, f"cases/{case['id']}/dispatch", department_code="sanitation")
    assert resp.status_code == 200
    assert resp.get_json()["extension"]["status"] == "lapsed"
    assert "request_extension" in resp.get_json()["actions"]


def test_an_extension_is_rejected_with_a_reason(api, login, cases):
    case = cases.case("104001")
    staff = login("department_staff", department="greening")[1]
    later = (datetime.now(UTC) + timedelta(days=20)).isoformat()
    api.post(f"/api/v1/department/cases/{case['id']}/extension", headers=staff,
             json={"requested_due": later, "reason": "等待"})  # fmt: skip
    operator = _operator(login)
    path = f"cases/{case['id']}/extension/reject"
    assert _post(api, operator, path).get_json()["error"]["field"] == "reason"
    resp = _post(api, operator, path, reason="时限内可完成")
    assert resp.status_code == 200
    assert resp.get_json()["extension"]["status"] == "rejected"
    assert (
        resp.get_json()["resolve_due"]
        == api.get(f"/api/v1/operator/cases/{case['id']}", headers=operator).get_json()[
            "resolve_due"
        ]
    )
    assert datetime.fromisoformat(resp.get_json()["resolve_due"]) == case["resolve_due"]


def _waiting(engine, report_id):
    """The report's case in state `reported`, as a report waits for an operator."""
    from services.cases.operator import waiting_case
    from services.cases.uow import UnitOfWork

    with UnitOfWork(engine) as uow:
        case = waiting_case(uow, report_id)
        uow.commit()
    return case


def test_a_waiting_duplicate_is_merged_into_the_open_case(api, login, cases, engine):
    original = cases.case("104001")
    duplicate = _waiting(engine, cases.case("104001", routed=False)["report"]["id"])
    assert duplicate.state == "reported"
    operator = _operator(login)
    path = f"cases/{duplicate.id}/merge"
    for ref in ("NO-SUCH-CASE", str(duplicate.id)):
        resp = _post(api, operator, path, duplicate_of=ref)
        assert resp.status_code == 422 and resp.get_json()["error"]["field"] == "duplicate_of"
    elsewhere = cases.case("104001", cases.fresh_cell("330211007"))
    resp = _post(api, operator, path, duplicate_of=elsewhere["case_no"])
    assert resp.status_code == 422  # outside the operator's street: as if it did not exist

    resp = _post(api, operator, path, duplicate_of=original["case_no"])
    assert resp.status_code == 200, resp.get_json()
    assert (resp.get_json()["state"], resp.get_json()["merged_into"]) == (
        "merged", str(original["id"]))  # fmt: skip
    shown = api.get(f"/api/v1/operator/cases/{original['id']}", headers=operator).get_json()
    assert shown["duplicate_count"] == 1
    [merged] = cases.events(duplicate.id)
    assert merged["type"] == "CaseMerged" and merged["payload"]["duplicate_of"] == str(
        original["id"])  # fmt: skip

    again = _post(api, operator, f"cases/{original['id']}/merge", duplicate_of=str(duplicate.id))
    assert again.status_code == 422  # a merged case is not open
    moved = _post(api, operator, f"cases/{original['id']}/merge",
                  duplicate_of=elsewhere["case_no"])  # fmt: skip
    assert moved.status_code == 422


def test_a_dispatched_case_cannot_be_merged(api, login, cases):
    first, second = cases.case("104001"), cases.case("104001")
    operator = _operator(login)
    resp = _post(api, operator, f"cases/{second['id']}/merge", duplicate_of=first["case_no"])
    assert resp.status_code == 409
    assert resp.get_json()["error"]["details"]["state"] == "dispatched"
    assert "merge" not in resp.get_json()["error"]["details"]["allowed"]


def test_moderation_sets_the_flags_and_is_audited(api, login, cases, engine):
    case = cases.case("104001")
    operator = _operator(login)
    path = f"reports/{case['report']['id']}/moderate"
    assert _post(api, operator, path, redacted=True).get_json()["error"]["field"] == "reason"
    assert _post(api, operator, path, reason="x").get_json()["error"]["field"] == "hidden"
    resp = _post(api, operator, path, redacted=True, photos_hidden=True, reason="含个人信息")
    assert resp.status_code == 200
    assert resp.get_json() == {
        "report_id": case["report"]["id"],
        "hidden": False,
        "redacted": True,
        "photos_hidden": True,
    }
    shown = api.get(f"/api/v1/operator/cases/{case['id']}", headers=operator).get_json()
    assert shown["moderation"] == {"hidden": False, "redacted": True, "photos_hidden": True}
    with engine.connect() as conn:
        audit = conn.execute(
            text("SELECT actor, reason, detail FROM audit_log WHERE subject = :s"),
            {"s": f"report:{case['report']['id']}"},
        ).one()
    assert audit.reason == "含个人信息" and audit.actor.startswith("operator-")
    assert audit.detail["before"]["redacted"] is False and audit.detail["after"]["redacted"]


def test_a_report_no_rule_places_waits_for_the_operator_who_may_reject_it(
    api, login, cases, engine
):
    # Behind the application's back, the category loses every rule: the router cannot place it.
    with engine.begin() as conn:
        conn.execute(text("UPDATE routing_rule SET active = false WHERE category_code = '104001'"))
    try:
        held = cases.case("104001")
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE routing_rule SET active = true WHERE category_code = '104001'")
            )
    assert (held["state"], held["department_code"]) == ("reported", None)
    assert held["route_reason"]
    [event] = cases.events(held["id"])
    assert event["type"] == "CaseHeldForIntake" and event["payload"]["reason"]

    operator = _operator(login)
    listed = api.get("/api/v1/operator/cases?queue=intake", headers=operator).get_json()
    assert held["case_no"] in {c["case_no"] for c in listed["items"]}
    resp = _post(api, operator, f"reports/{held['report']['id']}/reject", reason="非城市管理事项")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["state"] == "rejected"


def test_a_department_is_eligible_only_where_its_jurisdiction_covers_the_case(api, login, cases):
    case = cases.case("206001")  # a case in street 330211009
    operator = _operator(login)
    elsewhere = _post(api, operator, f"cases/{case['id']}/dispatch",
                      department_code="property-007001001")  # fmt: skip
    assert elsewhere.status_code == 422, elsewhere.get_json()
    assert elsewhere.get_json()["error"]["field"] == "department_code"
    company = login("department_staff", department="property-007001001")[1]
    assert api.get(f"/api/v1/department/cases/{case['id']}", headers=company).status_code == 404
    waiting = cases.case("206001", routed=False)["report"]["id"]
    refused = _post(api, operator, f"reports/{waiting}/register",
                    department_code="property-007001001")  # fmt: skip
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "department_code"
    district_wide = _post(api, operator, f"reports/{waiting}/register", department_code="housing")
    assert district_wide.status_code == 200, district_wide.get_json()


def test_a_case_a_department_holds_is_supervised_by_hand(api, login, cases, engine):
    case = cases.case("104001")
    operator = _operator(login)
    path = f"cases/{case['id']}/supervise"
    assert _post(api, operator, path).get_json()["error"]["field"] == "note"
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    late = _post(api, operator, path, note="请尽快处置", respond_by=past)
    assert late.status_code == 422 and late.get_json()["error"]["field"] == "respond_by"

    respond_by = datetime.now(UTC) + timedelta(hours=2)
    resp = _post(api, operator, path, note=" 请尽快处置 ", respond_by=respond_by.isoformat())
    assert resp.status_code == 200, resp.get_json()
    shown = resp.get_json()
    assert (shown["state"], shown["department_code"]) == ("dispatched", case["department_code"])
    supervised = cases.events(case["id"])[-1]
    assert supervised["type"] == "CaseSupervised" and supervised["actor"].startswith("operator-")
    assert supervised["payload"]["note"] == "请尽快处置"
    assert supervised["payload"]["department_code"] == case["department_code"]
    assert datetime.fromisoformat(supervised["payload"]["respond_by"]) == respond_by
    detail = api.get(f"/api/v1/operator/cases/{case['id']}", headers=operator).get_json()
    assert detail["timeline"][-1]["type"] == "CaseSupervised"
    with engine.connect() as conn:
        trail = conn.execute(
            text(
                "SELECT actor FROM audit_log WHERE subject = :s AND action = 'case.CaseSupervised'"
            ),
            {"s": f"case:{case['id']}"},
        ).scalar_one()
        relayed = conn.execute(
            text("SELECT count(*) FROM outbox WHERE key = :k AND event_type = 'CaseSupervised'"),
            {"k": str(case["id"])},
        ).scalar_one()
    assert trail.startswith("operator-") and relayed == 1


def test_only_a_case_a_department_holds_can_be_supervised(api, login, cases):
    waiting = cases.case("104001", routed=False)
    operator = _operator(login)
    rejected = _post(api, operator, f"reports/{waiting['report']['id']}/reject", reason="重复")
    resp = _post(api, operator, f"cases/{rejected.get_json()['id']}/supervise", note="请处置")
    assert resp.status_code == 409
    assert resp.get_json()["error"]["details"] == {
        "state": "rejected", "action": "supervise", "allowed": []}  # fmt: skip
    assert [e["type"] for e in cases.events(rejected.get_json()["id"])] == ["CaseRejected"]
