"""Departments and routing rules as data: the admin API, `gridflow rules import`, versions, and
the admission list (准入) refusing — and auditing — what a community may not receive."""

from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner

from services.routing.rulefile import load_demo_rules
from streams.cli import main
from tests.integration.services.accounts import signed_in
from tests.processes import config_env

COMMUNITY = "community-007001"


@pytest.fixture(scope="module")
def admin(stream_app, engine, demo_rules):
    return signed_in(stream_app.test_client(), engine, "admin")[1]


@pytest.fixture()
def restore_rules(engine):
    """Puts the demo departments and rules back after a test that replaces them."""
    yield
    load_demo_rules(engine, actor="test-restore")


def _active(api, admin):
    resp = api.get("/api/v1/admin/rules", headers=admin)
    assert resp.status_code == 200
    return resp.get_json()


def _audit(api, admin, subject):
    resp = api.get(f"/api/v1/admin/audit?subject={subject}&limit=5", headers=admin)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["items"]


def test_only_admins_manage_rules(api, engine, admin, worker_headers):
    assert api.get("/api/v1/admin/rules").status_code == 401
    assert api.get("/api/v1/admin/departments", headers=worker_headers).status_code == 403
    operator = signed_in(api, engine, "operator", jurisdiction="330211")[1]
    resp = api.post(
        "/api/v1/admin/rules",
        json={"category_code": "104001", "jurisdiction_code": "330211", "department_code": "x"},
        headers=operator,
    )
    assert resp.status_code == 403


def test_the_demo_has_about_ten_departments_and_a_rule_for_every_category(api, admin, engine):
    departments = api.get("/api/v1/admin/departments", headers=admin).get_json()["items"]
    kinds = {d["kind"] for d in departments}
    assert len(departments) >= 10
    assert {"department", "street_office", "community_committee", "property_company"} <= kinds
    rules = _active(api, admin)["items"]
    categories = api.get("/api/v1/categories", headers=admin).get_json()["items"]
    district_rules = {r["category_code"] for r in rules if r["jurisdiction_code"] == "330211"}
    assert {c["code"] for c in categories} <= district_rules


def test_a_rule_routing_a_non_admitted_category_to_a_community_is_refused_and_audited(api, admin):
    before = _active(api, admin)
    resp = api.post(
        "/api/v1/admin/rules",
        json={
            "category_code": "203001",  # illegal construction: not on any admission list
            "jurisdiction_code": "330211007001",
            "department_code": COMMUNITY,
        },
        headers=admin,
    )
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["code"] == "not_admitted" and error["field"] == "department_code"
    assert "203001" in error["message"]
    assert _active(api, admin) == before, "nothing was saved"
    [entry, *_] = _audit(api, admin, f"department:{COMMUNITY}")
    assert entry["id"] == error["details"]["audit_id"]
    assert entry["outcome"] == "refused" and entry["action"] == "ruleset.save"
    assert entry["detail"]["rule"]["category_code"] == "203001"


def test_a_catch_all_rule_to_a_community_is_refused(api, admin):
    resp = api.post(
        "/api/v1/admin/rules",
        json={"category_code": None, "jurisdiction_code": "330211007001",
              "department_code": COMMUNITY},
        headers=admin,
    )  # fmt: skip
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "not_admitted"


def test_shrinking_an_admission_list_under_an_existing_rule_is_refused(api, admin):
    departments = api.get("/api/v1/admin/departments", headers=admin).get_json()["items"]
    community = next(d for d in departments if d["code"] == COMMUNITY)
    body = {k: community[k] for k in ("name_zh", "name_en", "kind", "jurisdiction_code")}
    body["admitted_categories"] = [c for c in community["admitted_categories"] if c != "206003"]
    resp = api.put(f"/api/v1/admin/departments/{COMMUNITY}", json=body, headers=admin)
    assert resp.status_code == 422, resp.get_json()
    assert resp.get_json()["error"]["field"] == "admitted_categories"
    assert resp.get_json()["error"]["code"] == "not_admitted"
    assert _audit(api, admin, f"department:{COMMUNITY}")[0]["action"] == "department.save"
    after = api.get("/api/v1/admin/departments", headers=admin).get_json()["items"]
    assert next(d for d in after if d["code"] == COMMUNITY) == community


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "ministry"}, "kind"),
        ({"jurisdiction_code": "33021"}, "jurisdiction_code"),
        ({"admitted_categories": ["203001"]}, "admitted_categories"),
        ({"admitted_categories": ["999999"]}, "admitted_categories"),
        ({"name_zh": ""}, "name_zh"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_departments_are_refused_naming_the_field(api, admin, change, field):
    body = {
        "name_zh": "测试社区", "kind": "community_committee",
        "jurisdiction_code": "330211009001", "admitted_categories": ["206003"],
    }  # fmt: skip
    body.update(change)
    resp = api.put(f"/api/v1/admin/departments/t-{uuid.uuid4().hex[:6]}", json=body, headers=admin)
    assert resp.status_code == 422, resp.get_json()
    assert resp.get_json()["error"]["field"] == field


def test_departments_and_rules_are_versioned_through_the_api(api, admin):
    code = f"greening-{uuid.uuid4().hex[:6]}"
    body = {"name_zh": "某园林养护公司", "name_en": "Tree care", "kind": "department",
            "jurisdiction_code": "330211"}  # fmt: skip
    created = api.put(f"/api/v1/admin/departments/{code}", json=body, headers=admin)
    assert created.status_code == 200 and created.get_json()["code"] == code
    before = _active(api, admin)

    rule = {"category_code": "104001", "jurisdiction_code": "330211009007", "department_code": code}
    added = api.post("/api/v1/admin/rules", json=rule, headers=admin)
    assert added.status_code == 201, added.get_json()
    version = added.get_json()["version"]
    assert version > before["version"]
    active = _active(api, admin)
    assert active["version"] == version
    assert len(active["items"]) == len(before["items"]) + 1
    [mine] = [r for r in active["items"] if r["department_code"] == code]

    removed = api.delete(f"/api/v1/admin/rules/{mine['id']}", headers=admin)
    assert removed.status_code == 200 and removed.get_json()["version"] > version
    assert api.delete(f"/api/v1/admin/rules/{mine['id']}", headers=admin).status_code == 404
    after = _active(api, admin)
    assert len(after["items"]) == len(before["items"])
    # Older versions keep their rules.
    old = api.get(f"/api/v1/admin/rules/versions/{version}", headers=admin).get_json()
    assert any(r["department_code"] == code for r in old["items"])
    versions = api.get("/api/v1/admin/rules/versions", headers=admin).get_json()["items"]
    assert [v["id"] for v in versions[:3]] == [after["version"], version, before["version"]]
    assert api.get("/api/v1/admin/rules/versions/999999", headers=admin).status_code == 404
    unknown = api.post(
        "/api/v1/admin/rules", json={**rule, "department_code": "nobody"}, headers=admin
    )
    assert unknown.status_code == 422 and unknown.get_json()["error"]["field"] == "department_code"


def test_rules_import_from_yaml_refuses_a_non_admitted_rule_as_a_whole(config, tmp_path, engine):
    path = tmp_path / "rules.yaml"
    path.write_text(
        "departments:\n"
        "  - {code: water-2, name_zh: 第二水务所, kind: department, jurisdiction_code: '330211'}\n"
        "rules:\n"
        "  - {category: '204002', jurisdiction: '330211', department: water-2}\n"
        f"  - {{category: '204002', jurisdiction: '330211007001', department: {COMMUNITY}}}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["rules", "import", str(path)], env=config_env(config))
    assert result.exit_code == 1
    assert "rules[1].department_code" in result.output and "admission list" in result.output
    from services.store import departments as store

    with engine.connect() as conn:
        assert "water-2" not in store.departments(conn), "the import is all or nothing"
        [entry, *_] = store.audit_entries(conn, subject_prefix=f"department:{COMMUNITY}")
    assert entry["outcome"] == "refused" and entry["actor"] == "cli"


def test_rules_import_from_csv_makes_a_new_version(config, tmp_path, engine, restore_rules):
    from services.store import departments as store

    departments = tmp_path / "departments.csv"
    departments.write_text(
        "code,name_zh,name_en,kind,jurisdiction_code,admitted_categories\n"
        "community-009001,第9街道第1社区居委会,Community 9-1,community_committee,330211009001,"
        "206003;206004\n",
        encoding="utf-8",
    )
    env = config_env(config)
    result = CliRunner().invoke(main, ["rules", "import", str(departments)], env=env)
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        before = store.current_version(conn)
        active = store.rule_rows(conn)
    rules = tmp_path / "rules.csv"
    lines = ["category_code,jurisdiction_code,department_code,priority"]
    lines += [
        f"{r['category_code'] or '*'},{r['jurisdiction_code']},{r['department_code']},"
        f"{r['priority']}"
        for r in active
    ]
    lines.append("206003,330211009001,community-009001,0")
    rules.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["rules", "import", str(rules)], env=env)
    assert result.exit_code == 0, result.output
    assert f"{len(active) + 1} rules" in result.output
    with engine.connect() as conn:
        assert store.current_version(conn) > before
        assert len(store.rule_rows(conn)) == len(active) + 1
        assert store.departments(conn)["community-009001"].admitted_categories == {
            "206003",
            "206004",
        }
