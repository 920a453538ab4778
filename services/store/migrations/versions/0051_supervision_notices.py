"""Supervision notices (通报): the weekly and monthly notice of each district and street, as
the scheduler wrote it (its figures in `body`); files are rendered from it on download.

Revision ID: 0051
Revises: 0050
"""

from alembic import op

revision = "0051"
down_revision = "0050"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE supervision_notice (
            id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            kind              text NOT NULL CHECK (kind IN ('weekly', 'monthly')),
            jurisdiction_code text NOT NULL CHECK (jurisdiction_code ~ '^[0-9]{6}([0-9]{3})?$'),
            first_day         date NOT NULL,
            last_day          date NOT NULL,
            written_at        timestamptz NOT NULL DEFAULT now(),
            body              jsonb NOT NULL,
            UNIQUE (kind, jurisdiction_code, first_day)
        );
        CREATE INDEX supervision_notice_recent ON supervision_notice (first_day DESC);
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE supervision_notice")
