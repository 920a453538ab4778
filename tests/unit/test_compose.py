"""infra/docker-compose.yml runs as a deployment should: the tables' owner only migrates,
every other gridflow process signs in as gridflow_api, a member of gridflow_app."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy.engine import make_url

COMPOSE = Path(__file__).resolve().parents[2] / "infra" / "docker-compose.yml"


def test_only_the_migration_connects_as_the_owner():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    users = {
        name: make_url(service["environment"]["GRIDFLOW_DATABASE_URL"]).username
        for name, service in services.items()
        if service.get("command", [""])[0] == "gridflow"
    }
    owner = services["postgis"]["environment"]["POSTGRES_USER"]
    assert users.pop("migrate") == owner
    assert {"api", "relay", "router"} <= set(users)
    assert set(users.values()) == {"gridflow_api"}
