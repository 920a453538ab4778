"""Revisits (回访): a 不满意 rating opens a revisit task in the operators' queue, closed by an
operator's call-back with a note (or by re-opening the case to its department as rework);
the reporter's satisfaction after the call is kept with the case's facts for the KPIs
(`case_fact.revisit_rating`, copied by a trigger as `case_fact_rate` copies the rating).

Revision ID: 0019
Revises: 0018
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE revisit_task (
            case_id      uuid PRIMARY KEY REFERENCES case_file (id),
            status       text NOT NULL DEFAULT 'open'
                         CHECK (status IN ('open', 'closed', 'reworked')),
            opened_at    timestamptz NOT NULL,
            due_at       timestamptz NOT NULL,
            note         text,
            rating_after text CHECK (rating_after IN
                         ('satisfied', 'basically_satisfied', 'dissatisfied')),
            done_by      text,
            done_at      timestamptz
        );
        CREATE INDEX revisit_task_open ON revisit_task (due_at) WHERE status = 'open';
        ALTER TABLE case_fact ADD COLUMN revisit_rating text;

        CREATE FUNCTION case_fact_revisit() RETURNS trigger LANGUAGE plpgsql
        SET plan_cache_mode = force_custom_plan AS $$
        DECLARE n record;
        BEGIN
          FOR n IN SELECT case_id, rating_after FROM new_revisits
                   WHERE rating_after IS NOT NULL ORDER BY case_id LOOP
            UPDATE case_fact f SET revisit_rating = n.rating_after WHERE f.case_id = n.case_id;
          END LOOP;
          RETURN NULL;
        END $$;
        CREATE TRIGGER revisit_task_facts AFTER UPDATE ON revisit_task
            REFERENCING NEW TABLE AS new_revisits
            FOR EACH STATEMENT EXECUTE FUNCTION case_fact_revisit();
        """
    )


def downgrade() -> None:
    op.execute(
        "DROP TABLE revisit_task; DROP FUNCTION case_fact_revisit(); "
        "ALTER TABLE case_fact DROP COLUMN revisit_rating"
    )
