"""The transactional outbox and its NOTIFY trigger.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE outbox (
            id          bigserial PRIMARY KEY,
            event_id    uuid NOT NULL UNIQUE,
            topic       text NOT NULL,
            key         text NOT NULL,
            event_type  text NOT NULL,
            envelope    jsonb NOT NULL,
            created_at  timestamptz NOT NULL DEFAULT now(),
            sent_at     timestamptz
        );
        CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
        CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('gridflow_outbox', '');
            RETURN NULL;
        END $$;
        CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
            FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE outbox; DROP FUNCTION outbox_notify();")
