"""Un-merging (撤销合并) through the operator API: within a day of its merge a merged report is
its own case again, waiting for registration with its history, audited and on the live feed;
the case it was merged into counts one duplicate less, and the KPIs count it only once it is
registered. A day after the merge the un-merge is refused (409, nothing allowed, and why)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from services.auth.principal import OPERATOR, Principal
from services.cases.commands import MergeCase
from services.cases.operator import merge_case, waiting_case
from services.cases.uow import UnitOfWork
from services.live import queries
from services.store.live.cases import last_event_id

STREET = "330211009"


def _post(api, headers, path, **body):
    return api.post(f"/api/v1/operator/{path}", json=body, headers=headers)


def _waiting(engine, report_id):
    with UnitOfWork(engine) as uow:
        case = waiting_case(uow, report_id)
        uow.commit()
    return case


def _street_cases(api, headers) -> int:
    """The street's cases in the loop received today (the KPIs' population)."""
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    resp = api.get("/api/v1/stats/jurisdictions", headers=headers,
                   query_string={"from": today, "to": today, "level": "street"})  # fmt: skip
    assert resp.status_code == 200, resp.get_json()
    row = next((r for r in resp.get_json()["items"] if r["code"] == STREET), None)
    return 0 if row is None else row["kpis"]["cases"]


def test_a_merged_report_is_unmerged_within_a_day_and_registered_as_its_own_case(
    api, login, cases, engine
):
    original = cases.case("104001")
    duplicate = _waiting(engine, cases.case("104001", routed=False)["report"]["id"])
    _, operator = login("operator", jurisdiction=STREET)
    merged = _post(api, operator, f"cases/{duplicate.id}/merge", duplicate_of=original["case_no"])
    assert merged.status_code == 200, merged.get_json()
    assert merged.get_json()["actions"] == ["unmerge"]
    counted = _street_cases(api, operator)
    after = last_event_id(engine)

    path = f"cases/{duplicate.id}/unmerge"
    missing = _post(api, operator, path)
    assert missing.status_code == 422 and missing.get_json()["error"]["field"] == "reason"
    elsewhere = login("operator", jurisdiction="330211018")[1]
    assert _post(api, elsewhere, path, reason="不是同一处").status_code == 404

    resp = _post(api, operator, path, reason=" 不是同一处井盖 ")
    assert resp.status_code == 200, resp.get_json()
    case = resp.get_json()
    assert (case["id"], case["state"], case["merged_into"], case["case_no"]) == (
        str(duplicate.id), "reported", None, duplicate.case_no)  # fmt: skip
    assert case["actions"] == ["register", "reject", "merge", "close_on_spot"]
    shown = api.get(f"/api/v1/operator/cases/{original['id']}", headers=operator).get_json()
    assert shown["duplicate_count"] == 0
    # Its timeline: the merge, then the un-merge naming the case and the reason.
    detail = api.get(f"/api/v1/operator/cases/{duplicate.id}", headers=operator).get_json()
    assert [e["type"] for e in detail["timeline"]] == ["CaseMerged", "CaseUnmerged"]
    undone = detail["timeline"][-1]["payload"]
    assert (undone["merged_into"], undone["reason"]) == (str(original["id"]), "不是同一处井盖")
    merged_at = datetime.fromisoformat(detail["timeline"][0]["at"])
    assert datetime.fromisoformat(undone["merged_at"]) == merged_at
    with engine.connect() as conn:
        trail = conn.execute(
            text("SELECT actor FROM audit_log WHERE subject = :s AND action = 'case.CaseUnmerged'"),
            {"s": f"case:{duplicate.id}"},
        ).scalar_one()
        relayed = conn.execute(
            text("SELECT count(*) FROM outbox WHERE key = :k AND event_type = 'CaseUnmerged'"),
            {"k": str(duplicate.id)},
        ).scalar_one()
    assert trail.startswith("operator-") and relayed == 1
    # The live feed of the street shows the un-merge with the case waiting again.
    viewer = Principal(0, "viewer", OPERATOR, jurisdiction_code=STREET)
    [message] = [m for m in queries.events_since(engine, viewer, after)
                 if m["case"]["id"] == str(duplicate.id)]  # fmt: skip
    assert (message["type"], message["case"]["state"], message["detail"]["reason"]) == (
        "CaseUnmerged", "reported", "不是同一处井盖")  # fmt: skip
    assert _street_cases(api, operator) == counted  # not in the loop until registered

    again = _post(api, operator, path, reason="再撤销")
    assert again.status_code == 409
    assert again.get_json()["error"]["details"]["state"] == "reported"
    registered = _post(api, operator, f"reports/{duplicate.report_id}/register",
                       department_code="sanitation")  # fmt: skip
    assert registered.get_json()["state"] == "dispatched"
    assert _street_cases(api, operator) == counted + 1


def test_an_unmerge_a_day_after_the_merge_is_refused(api, login, cases, engine):
    original = cases.case("104001")
    duplicate = _waiting(engine, cases.case("104001", routed=False)["report"]["id"])
    merged_at = datetime.now(UTC) - timedelta(days=1, minutes=1)
    with UnitOfWork(engine) as uow:
        merge_case(uow, MergeCase(duplicate.id, "operator-x", original["id"]), now=merged_at)
        uow.commit()
    _, operator = login("operator", jurisdiction=STREET)
    shown = api.get(f"/api/v1/operator/cases/{duplicate.id}", headers=operator).get_json()
    assert (shown["state"], shown["actions"]) == ("merged", [])

    resp = _post(api, operator, f"cases/{duplicate.id}/unmerge", reason="不是同一处")
    assert resp.status_code == 409
    error = resp.get_json()["error"]
    expected = {"state": "merged", "action": "unmerge", "allowed": [], "why": "unmerge_window"}
    assert error["details"] == expected
    assert merged_at.isoformat() in error["message"]
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT d.state, d.merged_into, m.duplicate_count FROM case_file d, case_file m "
                 "WHERE d.id = :d AND m.id = :m"), {"d": duplicate.id, "m": original["id"]},
        ).one()  # fmt: skip
    assert tuple(row) == ("merged", original["id"], 1)
