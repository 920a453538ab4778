"""Open cases by resolve due time, for the command center's tiles.

Today's tiles (services.live.kpis) count, besides the cases resolved or closed today, the
open cases whose resolve due time falls today. The only index over open cases was by
category, so each snapshot read every open case of the city (8,000 at a million cases) to
keep the few hundred due today, twice (the tiles and the median). This partial index holds
the open cases alone (its predicate is the live feed's OPEN_SQL, so the planner can use it
for that condition), ordered by resolve due time.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX case_file_open_by_resolve_due ON case_file (resolve_due) "
        "WHERE state NOT IN ('closed', 'rejected', 'merged')"
    )


def downgrade() -> None:
    op.execute("DROP INDEX case_file_open_by_resolve_due")
