"""The KPI month rollup keyed by community and grid worker too: per local month, district,
street, community, department and the grid worker who filed the report (`case_fact`'s own
columns, so a worker who moves to other cells keeps the cases they filed), so a quarter's
ranking of a district's communities or grid workers sums the rollup as its streets' and
departments' does (a quarter is ~40,000 rollup rows on a 1,652-community district instead of
~250,000 facts).

The counts, the insert-only deltas appended by statement triggers and their compaction are
migration 0115's, unchanged but for the key; the rollup is rebuilt from the facts.

The durations' order statistics stay exact, read from the facts: the index holding what they
need gains the community and the grid worker, so those rankings read it alone too.

Revision ID: 0120
Revises: 0115
"""

import importlib.util
from pathlib import Path

from alembic import op

revision = "0120"
down_revision = "0115"
branch_labels = None
depends_on = None


def _revision_0115():
    """Migration 0115's module: its counts and the shapes of its rollup (history, reused)."""
    path = Path(__file__).with_name("0115_case_rollup.py")
    spec = importlib.util.spec_from_file_location("case_rollup_0115", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BEFORE = _revision_0115()
KEY = "month, district_code, street_code, community_code, department_code, worker_id"
PLACE_COLUMNS = "district_code text, street_code text, community_code text, department_code text"
_COLUMNS = ",\n  ".join(f"{name} bigint NOT NULL" for name in BEFORE.NAMES)


def _table(name: str) -> str:
    return f"""CREATE TABLE {name} (
  month date NOT NULL, {PLACE_COLUMNS}, worker_id bigint,
  {_COLUMNS}
)"""


PARTS = f"""
CREATE FUNCTION case_rollup_parts(c case_fact)
RETURNS TABLE (month date, {PLACE_COLUMNS}, worker_id bigint,
  {", ".join(f"{name} bigint" for name in BEFORE.NAMES)})
LANGUAGE sql STABLE AS $$
SELECT date_trunc('month', c.created_at AT TIME ZONE 'Asia/Shanghai')::date, c.district_code,
  c.street_code, c.community_code, c.department_code, c.worker_id,
  {", ".join(f"coalesce(({expression})::bigint, 0)" for _, expression in BEFORE.COUNTS)}
$$
"""
# 0115's trigger function with the new key (its statement names the key once, in its INSERT's
# column list, its SELECT and its GROUP BY).
APPEND = BEFORE.APPEND.replace(BEFORE.KEY, KEY)
_DURATIONS = "ack_s, resolve_s, close_s"


def _drop() -> None:
    op.execute("DROP TRIGGER case_fact_rollup_insert ON case_fact")
    op.execute("DROP TRIGGER case_fact_rollup_update ON case_fact")
    op.execute("DROP TRIGGER case_fact_rollup_delete ON case_fact")
    op.execute("DROP FUNCTION case_rollup_append()")
    op.execute("DROP FUNCTION case_rollup_parts(case_fact)")
    op.execute("DROP TABLE case_rollup_delta")
    op.execute("DROP TABLE case_rollup")
    op.execute("DROP INDEX case_fact_durations_by_created")


def _build(table, parts: str, key: str, append: str, included: str) -> None:
    """The rollup's tables and functions for `key`, its sums rebuilt from the facts, its
    triggers, and the durations' index including `included`."""
    op.execute("SET LOCAL statement_timeout = 0")  # a city's million facts
    op.execute(table("case_rollup"))
    op.execute(f"CREATE UNIQUE INDEX case_rollup_key ON case_rollup ({key}) NULLS NOT DISTINCT")
    op.execute(table("case_rollup_delta"))
    op.execute("CREATE INDEX case_rollup_delta_by_month ON case_rollup_delta (month)")
    op.execute(parts)
    sums = ", ".join(f"sum({name})" for name in BEFORE.NAMES)
    op.execute(
        f"INSERT INTO case_rollup SELECT {key}, {sums} FROM (SELECT p.* FROM case_fact c "
        f"CROSS JOIN LATERAL case_rollup_parts(c) p) parts GROUP BY {key}"
    )
    op.execute("ANALYZE case_rollup")  # its readers' plans right from the start
    op.execute(append)
    op.execute(
        f"CREATE INDEX case_fact_durations_by_created ON case_fact (created_at) "
        f"INCLUDE ({included}, {_DURATIONS})"
    )


def upgrade() -> None:
    _drop()
    _build(_table, PARTS, KEY, APPEND,
           "district_code, street_code, community_code, department_code, worker_id")  # fmt: skip


def downgrade() -> None:
    _drop()
    _build(BEFORE._table, BEFORE.PARTS, BEFORE.KEY, BEFORE.APPEND,
           "district_code, street_code, department_code")  # fmt: skip
