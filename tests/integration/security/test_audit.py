"""The audit trail: every case transition, rule change, account change and admin action is
appended to `audit_log` (actor, time, object, before/after); the database refuses to change or
remove an entry; admins read it through GET /api/v1/audit, filtered by object and time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from tests.integration.services.accounts import PASSWORD, bearer, login
from tests.processes import config_env


def _trail(api, admin, **query) -> list[dict]:
    resp = api.get("/api/v1/audit", query_string=query, headers=admin)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["items"]


def test_every_case_transition_is_audited_with_actor_and_the_state_before_and_after(
    api, login, cases
):
    _, admin = login("admin")
    case = cases.case("201001")
    assert case["state"] == "dispatched"
    _, staff = login("department_staff", department=case["department_code"])
    ack = api.post(f"/api/v1/department/cases/{case['id']}/acknowledge", headers=staff)
    assert ack.status_code == 200, ack.get_json()

    entries = list(reversed(_trail(api, admin, object=f"case:{case['id']}")))
    assert [e["action"] for e in entries] == [
        "case.CaseRegistered",
        "case.CaseDispatched",
        "case.CaseAcknowledged",
    ]
    registered, dispatched, acknowledged = entries
    assert registered["before"] is None and registered["after"]["state"] == "registered"
    assert dispatched["before"]["state"] == "registered"
    assert dispatched["after"]["state"] == "dispatched"
    assert dispatched["after"]["department_code"] == case["department_code"]
    assert acknowledged["before"] == dispatched["after"]
    assert acknowledged["after"]["state"] == "acknowledged"
    assert acknowledged["actor"].startswith("department-staff-")
    assert registered["actor"] == "system"  # the router registered it
    assert all(e["detail"]["case_no"] == case["case_no"] for e in entries)


def test_rule_and_department_changes_are_audited_with_before_and_after(api, login):
    admin_id, admin = login("admin")
    added = api.post(
        "/api/v1/admin/rules",
        json={"category_code": "104003", "jurisdiction_code": "330211009",
              "department_code": "greening"},
        headers=admin,
    )  # fmt: skip
    assert added.status_code == 201, added.get_json()
    version = added.get_json()["version"]
    [entry] = _trail(api, admin, object=f"ruleset:{version}")
    assert entry["action"] == "ruleset.save" and entry["actor"].startswith("admin-")
    new_rule = {"category_code": "104003", "jurisdiction_code": "330211009",
                "department_code": "greening", "priority": 0}  # fmt: skip
    assert new_rule in entry["after"]["rules"] and new_rule not in entry["before"]["rules"]
    assert entry["after"]["version"] == version and entry["before"]["version"] < version

    departments = api.get("/api/v1/admin/departments", headers=admin).get_json()["items"]
    greening = next(d for d in departments if d["code"] == "greening")
    body = {k: greening[k] for k in ("name_zh", "kind", "jurisdiction_code",
                                     "admitted_categories", "active")}  # fmt: skip
    body["name_en"] = "Parks and greening"
    saved = api.put("/api/v1/admin/departments/greening", json=body, headers=admin)
    assert saved.status_code == 200, saved.get_json()
    [saved, *_] = _trail(api, admin, object="department:greening", action="department.save")
    assert saved["before"]["name_en"] == greening["name_en"]
    assert saved["after"]["name_en"] == "Parks and greening"


def test_account_changes_are_audited_without_password_hashes(config, api, login, engine):
    from streams.cli import main

    _, admin = login("admin")
    env = config_env(config)
    result = CliRunner().invoke(
        main,
        ["user", "create", "audited-op", "--role", "operator", "--jurisdiction", "330211",
         "--password", PASSWORD, "--phone", "13912345678"],
        env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    roster = "username,display_name,phone,cells,password\naudited-gw,王五,,330211009001001,\n"
    result = CliRunner().invoke(main, ["user", "import", "-"], input=roster, env=env)
    assert result.exit_code == 0, result.output
    with engine.begin() as conn:
        conn.execute(text("UPDATE app_user SET active = false WHERE username = 'audited-op'"))

    created, *_ = _trail(api, admin, object="account:audited-op", action="account.insert")
    assert created["actor"].startswith("cli") and created["before"] is None
    assert created["after"]["role"] == "operator" and "password_hash" not in created["after"]
    disabled, *_ = _trail(api, admin, object="account:audited-op", action="account.update")
    assert disabled["before"]["active"] is True and disabled["after"]["active"] is False
    assert disabled["actor"].startswith("db:")  # a change made straight in the database
    cells, *_ = _trail(api, admin, object="account:audited-gw", action="account.cells")
    assert cells["before"] == {"cells": []} and cells["after"] == {"cells": ["330211009001001"]}
    everything = api.get("/api/v1/audit?kind=account&limit=1000", headers=admin).get_data()
    assert b"argon2" not in everything and PASSWORD.encode() not in everything


def test_the_database_refuses_to_change_or_remove_audit_entries_even_for_the_owner(
    owner_engine,
):
    engine = owner_engine
    with engine.connect() as conn:
        newest = conn.execute(text("SELECT max(id) FROM audit_log")).scalar_one()
    assert newest is not None
    for statement in (
        "UPDATE audit_log SET actor = 'someone else' WHERE id = :id",
        "DELETE FROM audit_log WHERE id = :id",
        "TRUNCATE audit_log",
    ):
        with engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement), {"id": newest})
    with engine.connect() as conn:
        assert conn.execute(text("SELECT max(id) FROM audit_log")).scalar_one() == newest


def test_the_application_role_may_append_and_read_but_not_rewrite_the_trail(app_role_url):
    app_db = create_engine(app_role_url)
    try:
        with app_db.begin() as conn:
            from services.store import audit_log as audit

            entry = audit.record(conn, actor="app-role-test", action="test.append",
                                 subject="test:app-role", after={"ok": True})  # fmt: skip
        refused = (
            "UPDATE audit_log SET reason = 'x' WHERE id = :id",
            "DELETE FROM audit_log WHERE id = :id",
            "TRUNCATE audit_log",
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
            "DROP TRIGGER audit_log_append_only ON audit_log",
        )
        for statement in refused:
            with app_db.connect() as conn, pytest.raises(DBAPIError) as caught:
                conn.execute(text(statement), {"id": entry})
            # Refused by the grants (or ownership), before any trigger runs.
            assert caught.value.orig.sqlstate == "42501", statement
            assert "permission denied" in str(caught.value) or "must be owner" in str(caught.value)
        with app_db.connect() as conn:
            row = conn.execute(
                text("SELECT actor, reason FROM audit_log WHERE id = :id"), {"id": entry}
            ).one()
        assert tuple(row) == ("app-role-test", None)
    finally:
        app_db.dispose()


def test_a_process_connected_as_the_application_role_works_and_is_audited(
    config, make_app, app_role_url, engine, demo, tmp_path
):
    """The grants of `gridflow_app` are enough for the API: sign in, capture a report, change
    the rules — and the trail records the change."""
    from tests.integration.services.accounts import make_user

    app = make_app(config.with_(database_url=app_role_url, media_dir=str(tmp_path)))
    client = app.test_client()
    _, admin_name = make_user(engine, "admin")
    admin = bearer(login(client, admin_name)["access_token"])
    resp = client.post(
        "/api/v1/admin/rules",
        json={"category_code": "104002", "jurisdiction_code": "330211010",
              "department_code": "greening"},
        headers=admin,
    )  # fmt: skip
    assert resp.status_code == 201, resp.get_json()
    trail = client.get("/api/v1/audit", query_string={"action": "ruleset.save"}, headers=admin)
    assert trail.get_json()["items"][0]["object"] == f"ruleset:{resp.get_json()['version']}"
    app.extensions["gridflow"].locator.close()


def test_the_trail_is_filtered_by_object_kind_actor_and_time_and_paged(api, login, cases):
    _, admin = login("admin")
    start = datetime.now(UTC) - timedelta(seconds=1)
    first, second = cases.case("201002"), cases.case("201002")
    in_window = _trail(api, admin, kind="case", since=start.isoformat(), limit=1000)
    objects = {e["object"] for e in in_window}
    assert {f"case:{first['id']}", f"case:{second['id']}"} <= objects
    assert all(e["object"].startswith("case:") for e in in_window)
    assert all(datetime.fromisoformat(e["at"]) >= start for e in in_window)
    assert _trail(api, admin, kind="case", until=start.isoformat(), since=start.isoformat()) == []
    page = api.get(
        "/api/v1/audit", query_string={"kind": "case", "limit": 2}, headers=admin
    ).get_json()
    assert len(page["items"]) == 2 and page["next_before_id"] == page["items"][-1]["id"]
    older = _trail(api, admin, kind="case", limit=2, before_id=page["next_before_id"])
    assert all(e["id"] < page["next_before_id"] for e in older)
    by_actor = _trail(api, admin, actor="system", kind="case", limit=50)
    assert by_actor and all(e["actor"] == "system" for e in by_actor)


def test_only_admins_read_the_trail_and_bad_filters_name_the_field(api, login):
    _, admin = login("admin")
    assert api.get("/api/v1/audit").status_code == 401
    for role, scope in (
        ("operator", {"jurisdiction": "330211"}),
        ("department_staff", {"department": "sanitation"}),
        ("grid_worker", {"cells": ("330211009001001",)}),
    ):
        _, headers = login(role, **scope)
        assert api.get("/api/v1/audit", headers=headers).status_code == 403
    for name, value in (("since", "yesterday"), ("until", "0"), ("until", "1700000000.5"),
                        ("since", "2026-05-01T08:00:00"), ("limit", "0"), ("kind", "case%"),
                        ("before_id", "-1"), ("colour", "red")):  # fmt: skip
        resp = api.get("/api/v1/audit", query_string={name: value}, headers=admin)
        assert resp.status_code == 422, (name, resp.get_json())
        assert resp.get_json()["error"]["field"] == name


def test_grid_catalog_and_calendar_changes_are_audited(api, login, engine, demo):
    from services.store import audit_log as audit

    _, admin = login("admin")
    grids = _trail(api, admin, kind="grid_version", action="grid_version.insert")
    # Other tests import grids of their own districts into this run's database too.
    assert "330211" in {g["after"]["district_code"] for g in grids}
    with engine.begin() as conn:
        audit.acting_as(conn, "cli:catalog-admin")
        conn.execute(text("UPDATE category SET resolve_limit_minutes = resolve_limit_minutes + 1 "
                          "WHERE code = '206004'"))  # fmt: skip
        conn.execute(text("INSERT INTO calendar_override (day, working, updated_by) "
                          "VALUES ('2031-10-08', false, 'test')"))  # fmt: skip
    [changed, *_] = _trail(api, admin, object="category:206004")
    assert changed["actor"] == "cli:catalog-admin" and changed["action"] == "category.update"
    limit = changed["after"]["resolve_limit_minutes"]
    assert limit == changed["before"]["resolve_limit_minutes"] + 1
    [day] = _trail(api, admin, object="calendar_override:2031-10-08")
    assert day["before"] is None and day["after"]["working"] is False


def test_the_database_says_when_and_who_whatever_an_insert_claims(app_role_url):
    """A member of gridflow_app inserting into the trail cannot choose the entry's time or
    author: the time is the transaction's, the author the unit of work's actor."""
    from sqlalchemy.engine import make_url

    from services.store.audit_log import acting_as

    role = make_url(app_role_url).username
    forged = (
        "INSERT INTO audit_log (at, actor, action, subject, outcome) VALUES "
        "('2001-01-01T00:00:00Z', 'admin-zhang', 'account.delete', :subject, 'done')"
    )
    app_db = create_engine(app_role_url)
    try:
        with app_db.begin() as conn:
            now = conn.execute(text("SELECT now()")).scalar_one()
            conn.execute(text(forged), {"subject": "forged:1"})
            acting_as(conn, "operator-li")
            conn.execute(text(forged), {"subject": "forged:2"})
            rows = conn.execute(text(
                "SELECT subject, at, actor FROM audit_log WHERE subject LIKE 'forged:%' "
                "ORDER BY subject")).all()  # fmt: skip
    finally:
        app_db.dispose()
    assert [(r.subject, r.at, r.actor) for r in rows] == [
        ("forged:1", now, f"db:{role}"), ("forged:2", now, "operator-li")]  # fmt: skip


def test_the_runs_processes_connect_as_a_member_of_gridflow_app_not_as_the_owner(engine):
    """As in a deployment: the tables' owner migrates, the processes' role cannot alter the
    trail's table or disable its triggers."""
    from tests.databases import standing

    with engine.connect() as conn:
        assert standing(conn) == (False, True, False)
        with pytest.raises(DBAPIError, match="must be owner"):
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
