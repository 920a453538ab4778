"""The phone app as a notification channel: a grid worker is told each milestone of their own
reports in the app (channel `app`, recipient `app:<account id>`), once per event like every
other notification (0020's `notification_once`); the phone reads them newest first and marks
them read (`read_at`).

Revision ID: 0095
Revises: 0090
"""

from alembic import op

revision = "0095"
down_revision = "0090"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE notification DROP CONSTRAINT notification_channel_check;
        ALTER TABLE notification ADD CONSTRAINT notification_channel_check
            CHECK (channel IN ('webhook', 'sms', 'app'));
        ALTER TABLE notification ADD COLUMN read_at timestamptz;
        CREATE INDEX notification_of_app ON notification (recipient, id DESC)
            WHERE channel = 'app';
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP INDEX notification_of_app;
        DELETE FROM notification WHERE channel = 'app';
        ALTER TABLE notification DROP COLUMN read_at;
        ALTER TABLE notification DROP CONSTRAINT notification_channel_check;
        ALTER TABLE notification ADD CONSTRAINT notification_channel_check
            CHECK (channel IN ('webhook', 'sms'));
        """
    )
