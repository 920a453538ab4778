"""Accounts administered in the browser: a password an admin set or reset is one-time
(`must_change_password`: the account is asked for a new one at its next sign-in and keeps being
asked until it chose one). Audited with the rest of the row by `app_user_audited` (0008).

Revision ID: 0060
Revises: 0021
"""

from alembic import op

revision = "0060"
down_revision = "0051"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE app_user ADD COLUMN must_change_password boolean NOT NULL DEFAULT false"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE app_user DROP COLUMN must_change_password")
