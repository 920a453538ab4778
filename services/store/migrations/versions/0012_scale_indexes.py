"""Open cases by resolve due time, and each case's KPI durations stored with its facts.

- Today's tiles (services.live.kpis) count, besides the cases resolved or closed today, the
  open cases whose resolve due time falls today. The only index over open cases was by
  category, so each snapshot read every open case of the city (8,000 at a million cases) to
  keep the few hundred due today, twice (the tiles and the median). This partial index holds
  the open cases alone (its predicate is the live feed's OPEN_SQL, so the planner can use it
  for that condition), ordered by resolve due time.
- A month's KPI report (services.stats.aggregate) sorts every case's acknowledge, resolve and
  close durations per group and for the whole scope; computing them from the facts' times for
  each of ~85,000 cases per request was a third of that read. `case_fact` now stores them as
  generated columns, in seconds, NULL where the KPIs leave a case out (acknowledge and resolve:
  outside the loop — reported, rejected, merged; close: not closed), recomputed by PostgreSQL
  whenever the facts they come from change.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

IN_LOOP = "state NOT IN ('reported', 'rejected', 'merged')"


def upgrade() -> None:
    op.execute(
        "CREATE INDEX case_file_open_by_resolve_due ON case_file (resolve_due) "
        "WHERE state NOT IN ('closed', 'rejected', 'merged')"
    )
    op.execute(
        f"""
        ALTER TABLE case_fact
          ADD COLUMN ack_s float8 GENERATED ALWAYS AS (CASE WHEN {IN_LOOP}
            THEN date_part('epoch', acknowledged_at - dispatched_at) END) STORED,
          ADD COLUMN resolve_s float8 GENERATED ALWAYS AS (CASE WHEN {IN_LOOP}
            THEN date_part('epoch', resolved_at - dispatched_at) END) STORED,
          ADD COLUMN close_s float8 GENERATED ALWAYS AS (CASE WHEN state = 'closed'
            THEN date_part('epoch', closed_at - created_at) END) STORED
        """
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE case_fact DROP COLUMN ack_s, DROP COLUMN resolve_s, DROP COLUMN close_s"
    )
    op.execute("DROP INDEX case_file_open_by_resolve_due")
