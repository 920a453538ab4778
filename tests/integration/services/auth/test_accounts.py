"""Accounts for admins: gridflow user create / import, and the demo accounts."""

import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from services.auth.demo import DemoRefused, ensure_demo_accounts
from streams.cli import main
from tests.integration.services.accounts import bearer, login
from tests.integration.services.grid_fixtures import cell_points


def env_for(config):
    return {
        "GRIDFLOW_DATABASE_URL": config.database_url,
        "GRIDFLOW_ENV": "test",
        "GRIDFLOW_SECRET_KEY": config.secret_key,
    }


def test_user_create_makes_an_operator_who_can_sign_in(config, client):
    name = f"op-{uuid.uuid4().hex[:6]}"
    result = CliRunner().invoke(
        main,
        ["user", "create", name, "--role", "operator", "--jurisdiction", "330211",
         "--password", "a-long-passphrase"],
        env=env_for(config),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    me = client.get(
        "/api/v1/auth/me", headers=bearer(login(client, name, "a-long-passphrase")["access_token"])
    )
    assert me.get_json()["role"] == "operator" and me.get_json()["jurisdiction_code"] == "330211"


def test_user_create_refuses_bad_scopes_and_weak_passwords(config):
    runner = CliRunner()
    cases = [
        (["--role", "operator", "--password", "a-long-passphrase"], "jurisdiction"),
        (["--role", "grid_worker", "--password", "a-long-passphrase"], "cells"),
        (["--role", "admin", "--password", "demo"], "well-known"),
    ]
    for args, word in cases:
        result = runner.invoke(
            main, ["user", "create", f"u-{uuid.uuid4().hex[:6]}", *args], env=env_for(config)
        )
        assert result.exit_code != 0 and word in result.output, result.output


def test_roster_import_creates_and_updates_grid_workers(config, engine, tmp_path):
    a, b = f"w-{uuid.uuid4().hex[:6]}", f"w-{uuid.uuid4().hex[:6]}"
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "username,display_name,phone,cells,password\n"
        f"{a},王网格,13900000001,330211001001001;330211001001002,a-long-passphrase\n"
        f"{b},李网格,13900000002,330211001002001,\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["user", "import", str(roster)], env=env_for(config))
    assert result.exit_code == 0, result.output
    assert f"{b}," in result.output and f"{a},a-long-passphrase" in result.output

    roster.write_text(
        f"username,display_name,phone,cells\n{a},王网格,13900000009,330211001003001\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["user", "import", str(roster)], env=env_for(config))
    assert result.exit_code == 0, result.output
    with engine.connect() as conn:
        cells = conn.execute(
            text(
                "SELECT array_agg(c.cell_code) FROM user_cell c JOIN app_user u "
                "ON u.id = c.user_id WHERE u.username = :u"
            ),
            {"u": a},
        ).scalar_one()
    assert cells == ["330211001003001"]

    roster.write_text("username,cells\nbad name!,330211001001001\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["user", "import", str(roster)], env=env_for(config))
    assert result.exit_code != 0 and "line 2" in result.output


def test_demo_accounts_exist_only_in_development(config, make_app, engine):
    cells = cell_points(engine)
    with pytest.raises(DemoRefused):
        ensure_demo_accounts(engine, config)
    dev = config.with_(env="development")
    first = ensure_demo_accounts(engine, dev)
    assert ensure_demo_accounts(engine, dev) == first  # idempotent
    assert set(first) == {"demo-worker", "demo-operator", "demo-department", "demo-admin"}

    dev_client = make_app(dev).test_client()
    roles = {}
    for username in first:
        me = dev_client.get(
            "/api/v1/auth/me", headers=bearer(login(dev_client, username, "demo")["access_token"])
        ).get_json()
        roles[username] = me
    assert roles["demo-worker"]["role"] == "grid_worker" and roles["demo-worker"]["cell_codes"]
    assert roles["demo-operator"]["jurisdiction_code"] == cells[0].district
    assert roles["demo-department"]["department_code"] == "sanitation"
    assert roles["demo-admin"]["role"] == "admin"

    # the same accounts cannot sign in with `demo` outside development
    prod_client = make_app(config).test_client()
    resp = prod_client.post(
        "/api/v1/auth/login", json={"username": "demo-admin", "password": "demo"}
    )
    assert resp.status_code == 401
