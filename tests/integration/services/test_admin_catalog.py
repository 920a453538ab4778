"""The catalog for admins: a category's terms changed (audited, used by registration at once),
its admission flag kept while a committee admits it, the YAML exported as the CLI reads it and
imported back all or nothing. On a database of its own: changed time limits would move every
other test's."""

from __future__ import annotations

import io

import pytest
import yaml

from services.routing.rulefile import load_demo_rules
from services.store.catalog import catalog_rows
from tests.integration.apps import media_app
from tests.integration.services.accounts import signed_in
from tests.integration.services.live.isolated import own_engine, own_stack

CATEGORIES = "/api/v1/admin/categories"


@pytest.fixture(scope="module")
def own(config, tmp_path_factory):
    with own_stack(config, "catalog") as stack, own_engine(stack) as engine:
        load_demo_rules(engine, actor="test")
        for app in media_app(stack, tmp_path_factory, rate_limit_per_minute=10_000):
            client = app.test_client()
            yield client, engine, signed_in(client, engine, "admin")[1]


def _terms(row: dict) -> dict:
    keys = ("name_zh", "name_en", "priority", "ack_limit_minutes", "resolve_limit_minutes",
            "around_the_clock", "community_admissible", "duplicate_radius_m",
            "duplicate_window_minutes")  # fmt: skip
    return {k: row[k] for k in keys}


def _category(client, admin, code: str) -> dict:
    items = client.get(CATEGORIES, headers=admin).get_json()["items"]
    return next(c for c in items if c["code"] == code)


def test_terms_change_is_audited_and_used(own):
    client, engine, admin = own
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
    client, engine, admin = own
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
