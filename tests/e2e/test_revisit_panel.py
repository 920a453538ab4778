"""The revisit (回访) in the command center: a reporter rates a closed case 不满意; the event
reaches the operator's open page; from the case panel the operator sends the case back to its
department as rework."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import text

from services.calendars import calendars_from_config
from services.config import Config
from streams.router import make_router
from tests.e2e.isolated import own_module
from tests.e2e.live_pages import account, fresh_point, sign_in
from tests.integration.services.accounts import tokens_over_http
from tests.integration.services.grid_fixtures import cell_points
from tests.integration.services.handling.loop import captured_event, jpeg
from tests.processes import GridflowProcess

stack, engine, live_server, writer = own_module("revisit")


@pytest.fixture(scope="module")
def relay(stack, engine):
    from services.routing.rulefile import load_demo_rules

    cell_points(engine)  # loads the demo grid
    load_demo_rules(engine, actor="e2e")
    proc = GridflowProcess("e2e-revisit-relay", ["relay"], stack)
    time.sleep(2)
    yield proc
    proc.stop()


def _bearer(base: str, engine, role: str, **scope) -> dict:
    _, username = account(engine, role, **scope)
    return {"Authorization": f"Bearer {tokens_over_http(base, username)[0]}"}


def _dissatisfied_case(base: str, engine) -> tuple[str, str]:
    """A grid worker's report, dispatched, resolved, verified and rated 不满意: (case id,
    street)."""
    street = cell_points(engine)[0].street
    cell, lat, lng = fresh_point(engine, street)
    worker = _bearer(base, engine, "grid_worker", cells=(cell,))
    report_id = str(uuid.uuid4())
    resp = requests.post(f"{base}/api/v1/reports", headers=worker, timeout=10, json={
        "id": report_id, "category": "201001", "description": "垃圾桶满溢",
        "location": {"lat": lat, "lng": lng, "crs": "wgs84", "accuracy_m": 5.0},
        "occurred_at": datetime.now(UTC).isoformat()})  # fmt: skip
    assert resp.status_code == 201, resp.text
    make_router(engine, calendars_from_config(Config()))(captured_event(engine, report_id))
    with engine.connect() as conn:
        case = conn.execute(text("SELECT id::text, department_code, case_no FROM case_file "
                                 "WHERE report_id = :r"), {"r": report_id}).one()  # fmt: skip
    staff = _bearer(base, engine, "department_staff", department=case.department_code)
    cases = f"{base}/api/v1/department/cases/{case.id}"
    assert requests.post(f"{cases}/acknowledge", headers=staff, timeout=10).status_code == 200
    photo = {"photo": ("a.jpg", jpeg("green"), "image/jpeg")}
    resolved = requests.post(f"{cases}/resolve", headers=staff, data={"note": "已清运"},
                             files=photo, timeout=10)  # fmt: skip
    assert resolved.status_code == 200, resolved.text
    tasks = requests.get(f"{base}/api/v1/me/tasks", headers=worker, timeout=10).json()["items"]
    task = next(t for t in tasks if t["case_no"] == case.case_no)
    verified = requests.post(f"{base}/api/v1/me/tasks/{task['id']}/verify", headers=worker,
                             files={"verification": (None, json.dumps({"passed": True}))},
                             timeout=10)  # fmt: skip
    assert verified.status_code == 200, verified.text
    rated = requests.post(f"{base}/api/v1/cases/{case.id}/rating", headers=worker,
                          json={"rating": "dissatisfied"}, timeout=10)  # fmt: skip
    assert rated.status_code == 200, rated.text
    return case.id, street


def test_the_operator_sends_a_dissatisfied_case_back_from_the_case_panel(
    relay, page, live_server, engine, screenshot
):
    street = cell_points(engine)[0].street
    _, username = account(engine, "operator", jurisdiction=street)
    sign_in(page, live_server, "/", username)

    case_id, _ = _dissatisfied_case(live_server, engine)
    item = page.wait_for_selector(
        f"#ticker li.event-RevisitOpened[data-case-id='{case_id}']", timeout=10_000
    )
    assert "回访待办" in item.inner_text()
    item.click()
    form = page.wait_for_selector("#case-panel form.action-revisit_rework", timeout=10_000)
    assert page.locator("#case-panel form.action-revisit_close").count() == 1
    form.query_selector("input[name=note]").fill("市民反映仍有垃圾，返工")
    screenshot(page, "command-center-revisit")
    form.query_selector("button[type=submit]").click()
    page.wait_for_selector("#case-panel form.action-revisit_rework .status.ok", timeout=10_000)
    with engine.connect() as conn:
        state, rework = conn.execute(text("SELECT state, rework_count FROM case_file "
                                          "WHERE id = :c"), {"c": case_id}).one()  # fmt: skip
        revisit = conn.execute(text("SELECT status, note FROM revisit_task WHERE case_id = :c"),
                               {"c": case_id}).one()  # fmt: skip
    assert (state, rework) == ("dispatched", 1)
    assert tuple(revisit) == ("reworked", "市民反映仍有垃圾，返工")
