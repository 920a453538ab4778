"""Grid workers (网格员) are ranked by the reports they file: `case_fact` keeps who filed a
case's report when a grid worker did (`worker_id`, NULL for the hotline and Open311) and
whether the worker handled it on the spot (`on_spot`, 自行处置). Both are copied from the
report when the case row is written, as the case's place is: the insert trigger looks each
new case's report up by its key (a `LATERAL` kept apart from the join, as 0015 does for the
trail, so a batch never scans `report`), planned anew each time (0017). The rows already there
are set from their reports.

Revision ID: 0090
Revises: 0085
"""

from importlib import import_module

from alembic import op

revision = "0090"
down_revision = "0085"
branch_labels = None
depends_on = None

# What 0009 and 0013 built, read from them rather than copied (a migration is never edited
# once deployed).
_facts = import_module("services.store.migrations.versions.0009_case_facts")
_once = import_module("services.store.migrations.versions.0013_case_fact_written_once")
PLACE = _facts.PLACE
_PLACE_OF_N = ", ".join("n." + c.strip() for c in PLACE.split(","))

ADD_CASES = f"""
CREATE OR REPLACE FUNCTION case_fact_add_cases() RETURNS trigger LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan AS $$
BEGIN
  INSERT INTO case_fact (case_id, created_at, {PLACE}, dispatched_at, worker_id, on_spot)
  SELECT n.id, n.created_at, {_PLACE_OF_N}, n.dispatched_at, r.worker_id,
    coalesce(r.on_spot, false)
  FROM new_cases n LEFT JOIN LATERAL (
    SELECT CASE WHEN p.channel = 'grid' THEN p.reporter_id END AS worker_id,
      p.handled_on_spot AS on_spot
    FROM report p WHERE p.id = n.report_id OFFSET 0) r ON true
  ON CONFLICT (case_id) DO NOTHING;
  RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.execute(
        "ALTER TABLE case_fact ADD COLUMN worker_id bigint, "
        "ADD COLUMN on_spot boolean NOT NULL DEFAULT false"
    )
    op.execute(
        "UPDATE case_fact f SET worker_id = CASE WHEN r.channel = 'grid' THEN r.reporter_id END, "
        "on_spot = r.handled_on_spot FROM case_file c JOIN report r ON r.id = c.report_id "
        "WHERE c.id = f.case_id AND (r.channel = 'grid' OR r.handled_on_spot)"
    )
    op.execute(ADD_CASES)


def downgrade() -> None:
    op.execute(_once._functions(written_once=True))
    op.execute("ALTER FUNCTION case_fact_add_cases() RESET plan_cache_mode")
    op.execute("ALTER TABLE case_fact DROP COLUMN worker_id, DROP COLUMN on_spot")
