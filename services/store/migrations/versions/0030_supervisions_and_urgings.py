"""督办数 and 催办数: each case's supervisions by hand (`CaseSupervised`) and urgings
(`CaseUrged`) are two more KPI facts, counted in `case_fact` by the statement that writes the
events (`services.domain.kpi.FACT_RULES`, `services.store.cases.facts`). The counts of the
supervisions already in the history are set from it.

Revision ID: 0030
Revises: 0021
"""

from alembic import op

revision = "0030"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE case_fact ADD COLUMN supervisions integer NOT NULL DEFAULT 0, "
        "ADD COLUMN urgings integer NOT NULL DEFAULT 0"
    )
    # Written out here, not generated: a migration stays what it was when deployed.
    op.execute(
        "UPDATE case_fact f SET supervisions = x.n FROM (SELECT case_id, count(*) AS n "
        "FROM case_event WHERE type = 'CaseSupervised' GROUP BY case_id) x "
        "WHERE f.case_id = x.case_id"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE case_fact DROP COLUMN supervisions, DROP COLUMN urgings")
