"""The trail and facts triggers plan their per-case statements anew each time, so a plan made
while `case_file` or `case_fact` looked small is never kept.

0015 has the trail look each event's case up by key and the facts' triggers update one
`case_fact` row per case by its primary key. PL/pgSQL
keeps a statement's plan for the connection: once the table had been analysed while it held a
few pages, the kept (generic) plan was a scan of those pages, and the connection went on
scanning the whole table, one scan per case, long after it grew, until autovacuum analysed it
again (the suite saw it: 40 sequential scans of `case_fact` for a statement of 40 cases, when
earlier tests had left the table analysed small; 80 of `case_file` for the trail of the same
40 cases' events). With `plan_cache_mode = force_custom_plan` on the four functions, each
statement is planned with the table's current size (the planner
scales the analysed density by the pages the table has now), which is the primary-key lookup
as soon as the table holds more than a few pages. Planning a primary-key statement costs tens
of microseconds per case.

Revision ID: 0017
Revises: 0016
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

FUNCTIONS = (
    "audit_case_events()",
    "case_fact_copy_cases()",
    "case_fact_fold_events()",
    "case_fact_rate()",
)


def upgrade() -> None:
    for function in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} SET plan_cache_mode = force_custom_plan")


def downgrade() -> None:
    for function in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} RESET plan_cache_mode")
