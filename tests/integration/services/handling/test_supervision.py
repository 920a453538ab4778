"""Supervision (督办) and urging (催办) by hand through the operator API: each an event in the
case's timeline, the audit trail and the outbox; counted per department as 督办数 and 催办数
in the KPIs and in the community's monthly ledger; refused on a case no department holds."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import text

from services.ledger.export import export_ledgers

STREET = "330211009"


def _post(api, headers, path, **body):
    return api.post(f"/api/v1/operator/{path}", json=body, headers=headers)


def _pressings(api, headers, department: str) -> tuple[int, int]:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    resp = api.get("/api/v1/stats/departments", headers=headers,
                   query_string={"from": today, "to": today, "within": STREET})  # fmt: skip
    assert resp.status_code == 200, resp.get_json()
    row = next((r for r in resp.get_json()["items"] if r["code"] == department), None)
    return (0, 0) if row is None else (row["kpis"]["supervisions"], row["kpis"]["urgings"])


def test_a_case_a_department_holds_is_urged_with_a_note(api, login, cases, engine):
    case = cases.case("104001")
    operator = login("operator", jurisdiction=STREET)[1]
    path = f"cases/{case['id']}/urge"
    missing = _post(api, operator, path)
    assert missing.status_code == 422 and missing.get_json()["error"]["field"] == "note"
    extra = _post(api, operator, path, note="催", respond_by="2030-01-01T00:00:00+00:00")
    assert extra.status_code == 422 and extra.get_json()["error"]["field"] == "respond_by"

    resp = _post(api, operator, path, note=" 请今天处理 ")
    assert resp.status_code == 200, resp.get_json()
    assert (resp.get_json()["id"], resp.get_json()["state"]) == (str(case["id"]), "dispatched")
    urged = cases.events(case["id"])[-1]
    assert (urged["type"], urged["payload"]["note"]) == ("CaseUrged", "请今天处理")
    assert urged["payload"]["department_code"] == case["department_code"]
    detail = api.get(f"/api/v1/operator/cases/{case['id']}", headers=operator).get_json()
    assert (detail["timeline"][-1]["type"], detail["timeline"][-1]["payload"]["note"]) == (
        "CaseUrged", "请今天处理")  # fmt: skip
    with engine.connect() as conn:
        trail = conn.execute(
            text("SELECT actor FROM audit_log WHERE subject = :s AND action = 'case.CaseUrged'"),
            {"s": f"case:{case['id']}"},
        ).scalar_one()
        relayed = conn.execute(
            text("SELECT count(*) FROM outbox WHERE key = :k AND event_type = 'CaseUrged'"),
            {"k": str(case["id"])},
        ).scalar_one()
    assert trail.startswith("operator-") and relayed == 1


def test_a_case_no_department_holds_is_not_urged(api, login, cases):
    waiting = cases.case("104001", routed=False)
    operator = login("operator", jurisdiction=STREET)[1]
    rejected = _post(api, operator, f"reports/{waiting['report']['id']}/reject", reason="重复")
    resp = _post(api, operator, f"cases/{rejected.get_json()['id']}/urge", note="请处置")
    assert resp.status_code == 409
    assert resp.get_json()["error"]["details"]["state"] == "rejected"
    elsewhere = login("operator", jurisdiction="330211018")[1]
    held = cases.case("104001")
    hidden = _post(api, elsewhere, f"cases/{held['id']}/urge", note="请处置")
    assert hidden.status_code == 404


def test_supervisions_and_urgings_are_counted_per_department(api, login, cases, engine, tmp_path):
    case = cases.case("104001")
    department = case["department_code"]
    operator = login("operator", jurisdiction=STREET)[1]
    before = _pressings(api, operator, department)
    for note in ("请尽快处置", "再次督办"):
        assert _post(api, operator, f"cases/{case['id']}/supervise", note=note).status_code == 200
    assert _post(api, operator, f"cases/{case['id']}/urge", note="催办").status_code == 200
    after = _pressings(api, operator, department)
    assert (after[0] - before[0], after[1] - before[1]) == (2, 1)
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT supervisions, urgings FROM case_fact WHERE case_id = :c"),
            {"c": case["id"]},
        ).one()
    assert tuple(stored) == (2, 1)

    month = datetime.now(ZoneInfo("Asia/Shanghai")).date().replace(day=1)
    community = case["community_code"]
    export_ledgers(engine, month, tmp_path, now=datetime.now(UTC), community_codes=[community])
    book = load_workbook(tmp_path / f"{community}-{month:%Y-%m}.xlsx")
    header = [c.value for c in book["台账"][2]]
    lines = [dict(zip(header, [c.value for c in row], strict=True))
             for row in book["台账"].iter_rows(min_row=4)]  # fmt: skip
    line = next(x for x in lines if x["案卷号"] == case["case_no"])
    assert (line["督办数"], line["催办数"]) == (2, 1)
    summary = {row[0].value: row[2].value for row in book["汇总"].iter_rows(min_row=2)}
    assert summary["督办数"] >= 2 and summary["催办数"] >= 1
