"""Notifications to reporters, effectively once: one row per (case event, recipient), whatever
replays of the case-events topic happen; the notifier sends each recipient's rows in order,
retries with backoff and marks a row `dead` (dead-lettered, shown to admins) after its last
attempt.

Revision ID: 0020
Revises: 0019
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE notification (
            id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            event_id     uuid NOT NULL,
            recipient    text NOT NULL,
            channel      text NOT NULL CHECK (channel IN ('webhook', 'sms')),
            case_id      uuid NOT NULL,
            event_type   text NOT NULL,
            target       text NOT NULL,
            body         jsonb NOT NULL,
            status       text NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'delivered', 'dead')),
            attempts     integer NOT NULL DEFAULT 0,
            next_at      timestamptz NOT NULL DEFAULT now(),
            last_error   text,
            created_at   timestamptz NOT NULL DEFAULT now(),
            delivered_at timestamptz,
            CONSTRAINT notification_once UNIQUE (event_id, recipient)
        );
        CREATE INDEX notification_pending ON notification (recipient, id)
            WHERE status = 'pending';
        CREATE INDEX notification_dead ON notification (id) WHERE status = 'dead';
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE notification")
