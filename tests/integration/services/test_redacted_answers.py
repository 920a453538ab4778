"""A redaction withholds the report's answers to its category's extra questions wherever its
text is withheld: the department's case view, the report as its cell's grid worker reads it,
the command center's case panel for roles that do not moderate, and the public (Open311 and
/t/<token>, which show no answer at all); operators and admins still see them. On a database
of its own: the category's required question would refuse every other test's reports."""

from __future__ import annotations

import json
import uuid
from functools import partial
from types import SimpleNamespace

import pytest

from services.auth.apikeys import create_client
from services.auth.principal import DEPARTMENT_STAFF, LEADER, OPERATOR, Principal
from services.live.details import case_detail
from services.routing.rulefile import load_demo_rules
from tests.integration.apps import media_app
from tests.integration.services.accounts import signed_in
from tests.integration.services.grid_fixtures import cell_points
from tests.integration.services.handling.loop import CaseMaker, captured_event
from tests.integration.services.live.isolated import own_engine, own_stack
from tests.integration.services.test_category_questions import CODE, QUESTIONS

PRIVATE = "张三家 13800000000"


@pytest.fixture(scope="module")
def redacted(config, tmp_path_factory):
    """A routed Open311 request answering both questions, seen by the department and the
    cell's worker, then redacted by an operator of its street."""
    with own_stack(config, "redacted") as stack, own_engine(stack) as engine:
        load_demo_rules(engine, actor="test")
        for app in media_app(stack, tmp_path_factory, rate_limit_per_minute=10_000):
            client = app.test_client()
            admin = signed_in(client, engine, "admin")[1]
            resp = client.put(f"/api/v1/admin/categories/{CODE}/questions",
                              json={"questions": QUESTIONS}, headers=admin)  # fmt: skip
            assert resp.status_code == 200, resp.get_json()
            with engine.begin() as conn:
                key = create_client(conn, f"app-{uuid.uuid4().hex[:6]}")
            point = cell_points(engine)[0]
            form = {"api_key": key, "service_code": CODE, "lat": str(point.lat),
                    "long": str(point.lng), "description": "垃圾堆在路边",
                    "attribute[bins]": "满溢", "attribute[shop]": PRIVATE}  # fmt: skip
            made = client.post("/open311/v2/requests.json", data=form)
            assert made.status_code == 201, made.get_json()
            report_id = made.get_json()[0]["token"]
            login = partial(signed_in, client, engine)
            CaseMaker(client, engine, login).route(captured_event(engine, report_id))
            operator = login("operator", jurisdiction=point.code[:9])[1]
            read = client.get(f"/api/v1/reports/{report_id}", headers=operator).get_json()
            case = client.get(f"/api/v1/operator/cases/{read['case']['id']}",
                              headers=operator).get_json()  # fmt: skip
            staff = login("department_staff", department=case["department_code"])[1]
            before = client.get(f"/api/v1/department/cases/{case['id']}", headers=staff)
            assert [a["answer"] for a in before.get_json()["answers"]] == ["满溢", PRIVATE]
            worker = login("grid_worker", cells=(point.code,))[1]
            seen = client.get(f"/api/v1/reports/{report_id}", headers=worker).get_json()
            assert seen["attributes"] == {"bins": "满溢", "shop": PRIVATE}
            done = client.post(f"/api/v1/operator/reports/{report_id}/moderate",
                               json={"redacted": True, "reason": "含个人信息"},
                               headers=operator)  # fmt: skip
            assert done.status_code == 200, done.get_json()
            yield SimpleNamespace(
                client=client, engine=engine, case_id=case["id"], case_no=case["case_no"],
                report_id=report_id, worker=worker, operator=operator, staff=staff,
                department=case["department_code"], street=point.code[:9],
            )  # fmt: skip


def test_the_department_and_the_cells_worker_no_longer_see_the_answers(redacted):
    client, staff = redacted.client, redacted.staff
    shown = client.get(f"/api/v1/department/cases/{redacted.case_id}", headers=staff).get_json()
    assert (shown["answers"], shown["description"]) == ([], None)
    listed = client.get("/api/v1/department/cases?per_page=100", headers=staff).get_json()
    assert PRIVATE not in json.dumps(listed, ensure_ascii=False)
    read = client.get(f"/api/v1/reports/{redacted.report_id}", headers=redacted.worker)
    assert (read.get_json()["attributes"], read.get_json()["description"]) == ({}, None)


def test_operators_still_see_them_and_may_undo_the_redaction(redacted):
    client, operator = redacted.client, redacted.operator
    full = client.get(f"/api/v1/operator/cases/{redacted.case_id}", headers=operator).get_json()
    assert [(a["code"], a["text_zh"], a["answer"]) for a in full["answers"]] == [
        ("bins", "垃圾桶是否满溢", "满溢"), ("shop", "附近商铺名称", PRIVATE)]  # fmt: skip
    read = client.get(f"/api/v1/reports/{redacted.report_id}", headers=operator).get_json()
    assert read["attributes"] == {"bins": "满溢", "shop": PRIVATE}


def test_the_case_panel_withholds_them_from_roles_that_do_not_moderate(redacted):
    engine, case_id, street = redacted.engine, redacted.case_id, redacted.street
    for viewer in (
        Principal(1, "staff", DEPARTMENT_STAFF, department_code=redacted.department),
        Principal(2, "leader", LEADER, jurisdiction_code=street),
    ):
        shown = case_detail(engine, viewer, str(case_id))
        assert shown is not None, viewer.role
        assert shown["report"]["answers"] == [] and shown["report"]["description"] is None
        assert PRIVATE not in json.dumps(shown, ensure_ascii=False, default=str)
    full = case_detail(engine, Principal(3, "op", OPERATOR, jurisdiction_code=street),
                       str(case_id))  # fmt: skip
    assert [a["answer"] for a in full["report"]["answers"]] == ["满溢", PRIVATE]


def test_the_public_sees_no_answer(redacted):
    case_no, token = redacted.case_no, redacted.report_id
    for path in (f"/open311/v2/requests/{case_no}.json", f"/open311/v2/requests/{case_no}.xml",
                 "/open311/v2/requests.json", f"/t/{token}", f"/t/{token}?lang=en"):  # fmt: skip
        resp = redacted.client.get(path, environ_base={"REMOTE_ADDR": "10.30.0.1"})
        assert resp.status_code == 200, path
        body = resp.get_data(as_text=True)
        assert PRIVATE not in body and "满溢" not in body, path
        assert case_no in body, path
