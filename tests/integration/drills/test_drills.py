"""The reliability drills at small scale (`scripts/drill` runs them at full size): under a
steady load of reports through the API, the broker, the router, the relay, PostgreSQL and the
Socket.IO server are each broken and brought back — nothing accepted is lost or doubled — and a
short soak shows no error and no growing process."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from tests.databases import standing
from tests.integration.drills.drills import NAMES, SMALL, Drills, passed
from tests.integration.drills.staging import staged
from tests.processes import ARTIFACTS


@pytest.fixture(scope="module")
def drills(stack_urls):
    with staged("drill", Drills, SMALL, ARTIFACTS / "drills") as runner:
        yield runner


def test_the_stages_processes_connect_as_a_member_of_gridflow_app(drills):
    """The drills' stage is made as a deployment is: the owner migrates, and every process of
    the stage connects as a role that is no superuser and does not own the trail, so none can
    disable the trail's triggers."""
    app_db = create_engine(drills.stage.config.database_url)
    try:
        with app_db.connect() as conn:
            assert standing(conn) == (False, True, False)
            roles = conn.execute(text(
                "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend'")).scalars().all()  # fmt: skip
            assert roles == [conn.execute(text("SELECT current_user")).scalar_one()]
            with pytest.raises(DBAPIError, match="must be owner"):
                conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
    finally:
        app_db.dispose()


@pytest.mark.parametrize("name", list(NAMES))
def test_drill(drills, name):
    figures = NAMES[name](drills)
    assert passed(name, figures), json.dumps(figures)
