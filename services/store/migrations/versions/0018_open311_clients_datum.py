"""Open311 clients' own settings: the datum of the coordinates they send and read (a hotline
system on AMap speaks GCJ-02), and the webhook their reporters' milestones are sent to, signed
with an HMAC of the client's secret.

Revision ID: 0018
Revises: 0017
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE open311_client
            ADD COLUMN datum text NOT NULL DEFAULT 'wgs84'
                CHECK (datum IN ('wgs84', 'gcj02', 'bd09')),
            ADD COLUMN webhook_url text CHECK (webhook_url ~ '^https?://'),
            ADD COLUMN webhook_secret text
        """
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE open311_client DROP COLUMN datum, DROP COLUMN webhook_url, "
        "DROP COLUMN webhook_secret"
    )
