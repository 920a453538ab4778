"""The catalog for admins: a category's terms changed (audited, used by registration at once),
its admission flag kept while a committee admits it, the YAML exported as the CLI reads it and
imported back all or nothing, extra questions included (by the CLI too). On a database of its
own: changed time limits would move every other test's."""

from __future__ import annotations

import io

import pytest
import yaml
from click.testing import CliRunner

from services.routing.rulefile import load_demo_rules
from services.store.catalog import catalog_rows
from streams.cli import main
from tests.integration.apps import media_app
from tests.integration.services.accounts import signed_in
from tests.integration.services.live.isolated import own_engine, own_stack
from tests.processes import config_env

CATEGORIES = "/api/v1/admin/categories"


@pytest.fixture(scope="module")
def own(config, tmp_path_factory):
    with own_stack(config, "catalog") as stack, own_engine(stack) as engine:
        load_demo_rules(engine, actor="test")
        for app in media_app(stack, tmp_path_factory, rate_limit_per_minute=10_000):
            client = app.test_client()
            yield client, engine, signed_in(client, engine, "admin")[1], stack


def _terms(row: dict) -> dict:
    keys = ("name_zh", "name_en", "priority", "ack_limit_minutes", "resolve_limit_minutes",
            "around_the_clock", "community_admissible", "duplicate_radius_m",
            "duplicate_window_minutes")  # fmt: skip
    return {k: row[k] for k in keys}


def _category(client, admin, code: str) -> dict:
    items = client.get(CATEGORIES, headers=admin).get_json()["items"]
    return next(c for c in items if c["code"] == code)


def test_terms_change_is_audited_and_used(own):
    client, engine, admin, _ = own
    body = _terms(_category(client, admin, "102007")) | {"resolve_limit_minutes": 999,
                                                         "duplicate_radius_m": 75}  # fmt: skip
    resp = client.put(f"{CATEGORIES}/102007", json=body, headers=admin)
    assert resp.status_code == 200, resp.get_json()
    assert _category(client, admin, "102007")["resolve_limit_minutes"] == 999
    public = client.get("/api/v1/categories", headers=admin).get_json()["items"]
    assert next(c for c in public if c["code"] == "102007")["duplicate_radius_m"] == 75
    audit = client.get("/api/v1/audit", query_string={"object": "category:102007"}, headers=admin)
    entry = audit.get_json()["items"][0]
    me = client.get("/api/v1/auth/me", headers=admin).get_json()["username"]
    assert (entry["actor"], entry["action"], entry["after"]["resolve_limit_minutes"]) == (
        me, "category.update", 999)  # fmt: skip

    for code, change, field, status in (
        ("102007", {"priority": "whenever"}, "priority", 422),
        ("102007", {"ack_limit_minutes": 0}, "ack_limit_minutes", 422),
        ("999999", {}, "code", 404),
        ("201001", {"community_admissible": False}, "community_admissible", 422),
    ):
        resp = client.put(f"{CATEGORIES}/{code}", json=body | change, headers=admin)
        assert (resp.status_code, resp.get_json()["error"]["field"]) == (status, field), code


def _upload(client, admin, text: str):
    return client.post(f"{CATEGORIES}/import", headers=admin, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(text.encode()), "categories.yaml")})  # fmt: skip


def test_export_reads_back_as_the_cli_file_and_import_is_all_or_nothing(own, tmp_path):
    client, engine, admin, _ = own
    exported = client.get(f"{CATEGORIES}/export", headers=admin)
    assert exported.status_code == 200 and exported.mimetype == "application/yaml"
    path = tmp_path / "categories.yaml"
    path.write_text(exported.get_data(as_text=True), encoding="utf-8")
    rows = {r["code"]: r for r in catalog_rows(path)}  # the CLI's own reader
    assert len(rows) == len(client.get(CATEGORIES, headers=admin).get_json()["items"])

    document = yaml.safe_load(exported.get_data(as_text=True))
    document["component"]["02"]["classes"]["007"]["ack"] = 45
    assert _upload(client, admin, yaml.safe_dump(document, allow_unicode=True)).status_code == 200
    assert _category(client, admin, "102007")["ack_limit_minutes"] == 45

    document["component"]["02"]["classes"]["007"]["ack"] = 50
    document["event"]["01"]["classes"]["001"]["priority"] = "someday"
    bad = _upload(client, admin, yaml.safe_dump(document, allow_unicode=True))
    assert (bad.status_code, bad.get_json()["error"]["field"]) == (422, "file")
    assert "201001" in bad.get_json()["error"]["message"]
    assert _category(client, admin, "102007")["ack_limit_minutes"] == 45
    assert _upload(client, admin, "- just\n- a list\n").status_code == 422


QUESTIONS = [
    {"code": "depth", "text_zh": "坑洼深度", "text_en": "How deep?", "kind": "choice",
     "choices": ["浅", "深"], "required": True},
    {"code": "lane", "text_zh": "所在车道", "text_en": "Which lane", "kind": "text",
     "choices": [], "required": False},
]  # fmt: skip


def _questions(client, admin, code: str) -> list[dict]:
    return _category(client, admin, code)["questions"]


def test_questions_round_trip_through_export_import_and_the_cli(own, tmp_path):
    client, _, admin, stack = own
    put = client.put(f"{CATEGORIES}/102007/questions", json={"questions": QUESTIONS},
                     headers=admin)  # fmt: skip
    assert put.status_code == 200, put.get_json()
    exported = client.get(f"{CATEGORIES}/export", headers=admin).get_data(as_text=True)
    assert yaml.safe_load(exported)["component"]["02"]["classes"]["007"]["questions"][0][
        "code"] == "depth"  # fmt: skip

    cleared = client.put(f"{CATEGORIES}/102007/questions", json={"questions": []}, headers=admin)
    assert cleared.status_code == 200 and _questions(client, admin, "102007") == []
    assert _upload(client, admin, exported).status_code == 200
    assert _questions(client, admin, "102007") == QUESTIONS
    again = client.get(f"{CATEGORIES}/export", headers=admin).get_data(as_text=True)
    assert again == exported

    client.put(f"{CATEGORIES}/102007/questions", json={"questions": []}, headers=admin)
    path = tmp_path / "categories.yaml"
    path.write_text(exported, encoding="utf-8")
    loaded = CliRunner().invoke(main, ["catalog", "load", str(path)], env=config_env(stack))
    assert loaded.exit_code == 0, loaded.output
    assert _questions(client, admin, "102007") == QUESTIONS


def test_bad_question_definitions_in_the_file_are_refused_naming_the_field(own, tmp_path):
    client, _, admin, stack = own
    client.put(f"{CATEGORIES}/102007/questions", json={"questions": []}, headers=admin)
    document = yaml.safe_load(client.get(f"{CATEGORIES}/export", headers=admin).get_data(
        as_text=True))  # fmt: skip
    classes = document["component"]["02"]["classes"]
    classes["007"]["questions"] = [QUESTIONS[0], QUESTIONS[1] | {"kind": "number"}]
    text = yaml.safe_dump(document, allow_unicode=True)
    bad = _upload(client, admin, text)
    assert (bad.status_code, bad.get_json()["error"]["field"]) == (
        422, "file.102007.questions[1].kind")  # fmt: skip
    assert _questions(client, admin, "102007") == []  # all or nothing

    classes["007"]["questions"] = [QUESTIONS[0], QUESTIONS[0]]
    dup = _upload(client, admin, yaml.safe_dump(document, allow_unicode=True))
    assert (dup.status_code, dup.get_json()["error"]["field"]) == (
        422, "file.102007.questions[1].code")  # fmt: skip

    path = tmp_path / "categories.yaml"
    path.write_text(text, encoding="utf-8")
    refused = CliRunner().invoke(main, ["catalog", "load", str(path)], env=config_env(stack))
    assert refused.exit_code != 0 and "questions[1].kind" in refused.output
    assert _questions(client, admin, "102007") == []
