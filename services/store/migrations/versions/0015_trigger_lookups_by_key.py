"""The trail and the facts triggers look up the cases of a statement by key, however it grew.

The statement-level triggers (0009–0014) join their transition table (the rows the statement
wrote) to a whole table: the trail's `new_events` to `case_file`, the facts' upkeep
`case_fact` to `new_events`, `new_cases` and `new_ratings`. PL/pgSQL plans each of these
statements once per connection and keeps the plan until the tables are analysed again. A
connection that first fired a trigger while the tables were small (a new installation, a
district's first minutes, every benchmark) kept a hash join over a sequential scan of the
whole table: each later batch read every case there was. In the router benchmark
(`auto_explain`, 30,000 reports in batches of 100), the trail's insert read 29,900 cases for
its last batch of 200 events and took 40 % of the router's PostgreSQL time, the facts' fold
scanned `case_fact` as long for no row changed; the cost of a batch grew with every case
registered until autovacuum analysed the tables.

Each trigger now reaches the big table only through its primary key, in a form whose plan is
that lookup once the table holds more than a few pages (below that, a scan of those few pages,
planned again when autovacuum analyses the table, every 10 % of growth); a table never analysed
counts as 10 pages at least, so the lookup from the start:
- the trail reads each event's case in a `LATERAL` subquery kept apart from the join
  (`OFFSET 0`: the planner may not merge it into a hash join), one index lookup per event;
- the facts' three updates update one `case_fact` row per case of the statement, in case id
  order (so two transactions touching the same cases lock them in one order), each by its
  primary key.
What the triggers write is unchanged.

Revision ID: 0015
Revises: 0014
"""

from importlib import import_module

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# What 0009, 0011 and 0013 built, read from them rather than copied (a migration is never
# edited once deployed).
_facts = import_module("services.store.migrations.versions.0009_case_facts")
_trail = import_module("services.store.migrations.versions.0011_case_written_once")
_once = import_module("services.store.migrations.versions.0013_case_fact_written_once")

_JOINED = "FROM new_events n JOIN case_file c ON c.id = n.case_id"
_LOOKED_UP = f"""FROM new_events n CROSS JOIN LATERAL (
                SELECT c.case_no, {_trail.AFTER} AS facts
                FROM case_file c WHERE c.id = n.case_id OFFSET 0) c"""
assert _JOINED in _trail.UPGRADE and _trail.AFTER + " AS facts" in _trail.UPGRADE
TRAIL = _trail.UPGRADE.replace(_trail.AFTER + " AS facts", "c.facts").replace(_JOINED, _LOOKED_UP)


def _differs(columns: str, values: str) -> str:
    stored = ", ".join("f." + c.strip() for c in columns.split(","))
    return f"({stored}) IS DISTINCT FROM ({values})"


_PLACE_OF_N = ", ".join("n." + c.strip() for c in _facts.PLACE.split(","))

FACTS = f"""
CREATE OR REPLACE FUNCTION case_fact_copy_cases() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE n record;
BEGIN
  FOR n IN SELECT id, {_facts.PLACE} FROM new_cases ORDER BY id LOOP
    UPDATE case_fact f SET ({_facts.PLACE}) = ROW({_PLACE_OF_N})
    WHERE f.case_id = n.id AND {_differs(_facts.PLACE, _PLACE_OF_N)};
  END LOOP;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION case_fact_fold_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE e record;
BEGIN
  FOR e IN {_once.FOLDED} ORDER BY case_id LOOP
    UPDATE case_fact f SET ({_facts.FACTS}) = ROW({_once.FOLDED_INTO})
    WHERE f.case_id = e.case_id AND {_differs(_facts.FACTS, _once.FOLDED_INTO)};
  END LOOP;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION case_fact_rate() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE n record;
BEGIN
  FOR n IN SELECT case_id, rating FROM new_ratings ORDER BY case_id LOOP
    UPDATE case_fact f SET rating = n.rating WHERE f.case_id = n.case_id;
  END LOOP;
  RETURN NULL;
END $$;
"""

# As 0009 and 0013 left them.
_FACTS_BEFORE = f"""
CREATE OR REPLACE FUNCTION case_fact_copy_cases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE case_fact f SET state = n.state, department_code = n.department_code,
    resolve_due = n.resolve_due, district_code = n.district_code,
    street_code = n.street_code, community_code = n.community_code, cell_code = n.cell_code
  FROM new_cases n
  WHERE f.case_id = n.id AND {_differs(_facts.PLACE, _PLACE_OF_N)};
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION case_fact_rate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE case_fact f SET rating = n.rating FROM new_ratings n WHERE f.case_id = n.case_id;
  RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.execute(TRAIL)
    op.execute(FACTS)


def downgrade() -> None:
    op.execute(_trail.UPGRADE)
    op.execute(_once._functions(written_once=True))
    op.execute(_FACTS_BEFORE)
