"""A category's extra questions: set by the admin (bad ones refused naming the field), shown
in the phone's catalog and in the Open311 service definition (JSON and XML), answered by the
phone's report and by an Open311 request — required ones enforced, choices checked — and
kept with the report. On a database of its own: a required question would refuse every other
test's reports of that category."""

from __future__ import annotations

import uuid
from xml.etree import ElementTree as ET

import pytest

from services.auth.apikeys import create_client
from tests.integration.apps import media_app
from tests.integration.services.accounts import signed_in
from tests.integration.services.capture.payloads import report_body
from tests.integration.services.grid_fixtures import cell_points
from tests.integration.services.live.isolated import own_engine, own_stack

CODE = "201001"  # 暴露垃圾
QUESTIONS = [
    {"code": "bins", "text_zh": "垃圾桶是否满溢", "text_en": "Are the bins full?",
     "kind": "choice", "choices": ["满溢", "未满"], "required": True},
    {"code": "shop", "text_zh": "附近商铺名称", "text_en": "Shop nearby", "kind": "text"},
]  # fmt: skip


@pytest.fixture(scope="module")
def own(config, tmp_path_factory):
    with own_stack(config, "questions") as stack, own_engine(stack) as engine:
        for app in media_app(stack, tmp_path_factory, rate_limit_per_minute=10_000):
            client = app.test_client()
            admin = signed_in(client, engine, "admin")[1]
            resp = client.put(f"/api/v1/admin/categories/{CODE}/questions",
                              json={"questions": QUESTIONS}, headers=admin)  # fmt: skip
            assert resp.status_code == 200, resp.get_json()
            yield client, engine, admin


def test_questions_are_set_by_the_admin_and_shown_in_the_catalog(own):
    client, engine, admin = own
    _, worker = signed_in(client, engine, "grid_worker", cells=(cell_points(engine)[0].code,))
    items = client.get("/api/v1/categories", headers=worker).get_json()["items"]
    shown = next(c for c in items if c["code"] == CODE)["questions"]
    assert [(q["code"], q["kind"], q["required"], q["choices"]) for q in shown] == [
        ("bins", "choice", True, ["满溢", "未满"]), ("shop", "text", False, [])]  # fmt: skip
    audit = client.get("/api/v1/audit", query_string={"object": f"category:{CODE}"},
                       headers=admin).get_json()["items"][0]  # fmt: skip
    assert [q["code"] for q in audit["after"]["questions"]] == ["bins", "shop"]


@pytest.mark.parametrize(
    ("questions", "field"),
    [
        ([{"code": "Bad Code"}], "questions[0].code"),
        ([{"code": "landmark"}], "questions[0].code"),
        ([{}, {"text_zh": "同一代码"}], "questions[1].code"),
        ([{"kind": "choice", "choices": ["只有一个"]}], "questions[0].choices"),
        ([{"kind": "choice", "choices": ["同", "同"]}], "questions[0].choices"),
        ([{"kind": "number"}], "questions[0].kind"),
        ([{"text_zh": ""}], "questions[0].text_zh"),
        ([{"colour": "red"}], "questions[0].colour"),
    ],
)
def test_bad_questions_are_refused_naming_the_field(own, questions, field):
    client, _, admin = own
    body = {"questions": [{"code": "q", "text_zh": "问题", "kind": "text"} | q for q in questions]}
    resp = client.put("/api/v1/admin/categories/102007/questions", json=body, headers=admin)
    assert (resp.status_code, resp.get_json()["error"]["field"]) == (422, field)
    assert client.get("/open311/v2/services/102007.json").get_json()["attributes"][-1]["order"] == 3
    missing = client.put("/api/v1/admin/categories/999999/questions",
                         json={"questions": []}, headers=admin)  # fmt: skip
    assert (missing.status_code, missing.get_json()["error"]["field"]) == (404, "code")


def test_the_phones_report_answers_them_and_keeps_the_answers(own):
    client, engine, admin = own
    point = cell_points(engine)[0]
    _, worker = signed_in(client, engine, "grid_worker", cells=(point.code,))
    for answers, field in (
        ({}, "answers.bins"),
        ({"bins": "半满"}, "answers.bins"),
        ({"bins": "满溢", "colour": "红"}, "answers.colour"),
    ):
        resp = client.post("/api/v1/reports", json=report_body(point, answers=answers),
                           headers=worker)  # fmt: skip
        assert (resp.status_code, resp.get_json()["error"]["field"]) == (422, field), answers
    body = report_body(point, answers={"bins": "满溢", "shop": " 好又多超市 "})
    resp = client.post("/api/v1/reports", json=body, headers=worker)
    assert resp.status_code == 201, resp.get_json()
    kept = {"bins": "满溢", "shop": "好又多超市"}
    assert resp.get_json()["attributes"] == kept
    read = client.get(f"/api/v1/reports/{body['id']}", headers=admin).get_json()
    assert read["attributes"] == kept
    other = report_body(point, category="201002")  # asks nothing: no answers needed
    assert client.post("/api/v1/reports", json=other, headers=worker).status_code == 201


def test_open311_defines_them_and_checks_a_requests_answers(own):
    client, engine, _ = own
    definition = client.get(f"/open311/v2/services/{CODE}.json").get_json()
    own_attributes = [a for a in definition["attributes"] if a["code"] in ("bins", "shop")]
    assert own_attributes == [
        {"variable": True, "code": "bins", "datatype": "singlevaluelist", "required": True,
         "datatype_description": None, "order": 4,
         "description": "垃圾桶是否满溢 Are the bins full?",
         "values": [{"key": "满溢", "name": "满溢"}, {"key": "未满", "name": "未满"}]},
        {"variable": True, "code": "shop", "datatype": "string", "required": False,
         "datatype_description": "text", "order": 5, "description": "附近商铺名称 Shop nearby",
         "values": []},
    ]  # fmt: skip
    xml = ET.fromstring(client.get(f"/open311/v2/services/{CODE}.xml").data)
    bins = next(a for a in xml.iter("attribute") if a.findtext("code") == "bins")
    assert [v.findtext("key") for v in bins.iter("value")] == ["满溢", "未满"]
    plain = client.get("/open311/v2/services/201002.json").get_json()
    assert {a["code"] for a in plain["attributes"]} == {"landmark", "occurred_at", "ongoing"}

    with engine.begin() as conn:
        key = create_client(conn, f"app-{uuid.uuid4().hex[:6]}")
    point = cell_points(engine)[1]
    form = {"api_key": key, "service_code": CODE, "lat": str(point.lat), "long": str(point.lng),
            "description": "垃圾堆在路边", "attribute[landmark]": "菜场"}  # fmt: skip
    for extra, field in (({}, "attribute[bins]"), ({"attribute[bins]": "半满"}, "attribute[bins]")):
        resp = client.post("/open311/v2/requests.json", data=form | extra)
        assert resp.status_code == 400 and field in resp.get_json()[0]["description"], extra
    resp = client.post("/open311/v2/requests.json", data=form | {"attribute[bins]": "未满"})
    assert resp.status_code == 201, resp.get_json()
    token = resp.get_json()[0]["token"]
    with engine.connect() as conn:
        from sqlalchemy import text

        stored = conn.execute(text("SELECT attributes FROM report WHERE id = :id"),
                              {"id": token}).scalar_one()  # fmt: skip
    assert stored == {"landmark": "菜场", "bins": "未满"}
