"""The KPI month rollup in three grains, so a quarter's ranking of a district's communities or
grid workers sums the rollup as its streets' and departments' does:

- `street`: per local month, district, street and department (0115's key; a district's
  quarter is ~3,000 rows): districts, streets, departments;
- `community`: the same and the community (~37,000 rows for a district of 1,652 communities,
  against ~250,000 facts): communities, or any level within a community;
- `worker`: the same and the grid worker who filed the report (`case_fact.worker_id`, the
  fact's own column: a worker who moves to other cells keeps the cases they filed; NULL for
  the hotline's and Open311's): grid workers.

Each case's parts are one row per grain (the other grains' columns NULL). The counts, the
insert-only deltas appended by statement triggers and their compaction are migration 0115's,
unchanged but for the key; the rollup is rebuilt from the facts.

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
KEY = "month, grain, district_code, street_code, community_code, department_code, worker_id"
PLACE_COLUMNS = "district_code text, street_code text, community_code text, department_code text"
_COLUMNS = ",\n  ".join(f"{name} bigint NOT NULL" for name in BEFORE.NAMES)


def _table(name: str) -> str:
    return f"""CREATE TABLE {name} (
  month date NOT NULL, grain text NOT NULL, {PLACE_COLUMNS}, worker_id bigint,
  {_COLUMNS}
)"""


_COUNTED = ", ".join(f"coalesce(({sql})::bigint, 0) AS {name}" for name, sql in BEFORE.COUNTS)
# A case's counts computed once, then a row per grain.
PARTS = f"""
CREATE FUNCTION case_rollup_parts(c case_fact)
RETURNS TABLE (month date, grain text, {PLACE_COLUMNS}, worker_id bigint,
  {", ".join(f"{name} bigint" for name in BEFORE.NAMES)})
LANGUAGE sql STABLE AS $$
SELECT k.month, g.grain, c.district_code, c.street_code, g.community_code, c.department_code,
  g.worker_id, {", ".join(f"k.{name}" for name in BEFORE.NAMES)}
FROM (SELECT date_trunc('month', c.created_at AT TIME ZONE 'Asia/Shanghai')::date AS month,
  {_COUNTED}) k
CROSS JOIN (VALUES ('street', NULL::text, NULL::bigint),
  ('community', c.community_code, NULL::bigint),
  ('worker', c.community_code, c.worker_id)) g (grain, community_code, worker_id)
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
