"""`case_fact` keeps no foreign key to `case_file`.

A fact row is written by one writer only: `case_file`'s insert trigger, in the statement that
inserts the case (migration 0009). Its `case_id` is the case's id by construction, and cases
are never deleted, so the foreign key checked nothing the trigger does not already guarantee.
It still cost a check per new case: a lookup of the case row just inserted, with a row lock
written on it, inside every statement that inserts cases.

Measured on the router's statements (`register_reports` on batches of 200 reports, each
committed, on a database already holding 1,000 cases and analysed; backend CPU per case, four
pairs back to back): 0.387, 0.293, 0.363 and 0.363 ms with the foreign key, 0.310, 0.287,
0.303 and 0.290 ms without it.

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE case_fact DROP CONSTRAINT case_fact_case_id_fkey")


def downgrade() -> None:
    op.execute(
        "ALTER TABLE case_fact ADD CONSTRAINT case_fact_case_id_fkey "
        "FOREIGN KEY (case_id) REFERENCES case_file(id)"
    )
