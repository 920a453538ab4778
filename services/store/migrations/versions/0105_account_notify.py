"""Every live server hears at once that an account changed: disabled or enabled, its role or
place changed, its cells changed, or a session of it revoked (by an admin, the CLI, a sign-out
or a password reset). A NOTIFY on `gridflow_account` (services.store.listening.ACCOUNT_CHANNEL)
with the account's id, sent when the change commits; each `serve` process checks that
account's sockets in its next round (services.live.accounts) instead of at their periodic
check.

Revision ID: 0105
Revises: 0095
"""

from alembic import op

revision = "0105"
down_revision = "0095"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION notify_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- Each branch names its own table's column (a record's fields resolve when run).
            IF TG_TABLE_NAME = 'app_user' THEN
                PERFORM pg_notify('gridflow_account', NEW.id::text);
            ELSIF TG_OP = 'DELETE' THEN
                PERFORM pg_notify('gridflow_account', OLD.user_id::text);
            ELSE
                PERFORM pg_notify('gridflow_account', NEW.user_id::text);
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER app_user_notify AFTER UPDATE ON app_user FOR EACH ROW
            WHEN (OLD.active IS DISTINCT FROM NEW.active OR OLD.role IS DISTINCT FROM NEW.role
                  OR OLD.jurisdiction_code IS DISTINCT FROM NEW.jurisdiction_code
                  OR OLD.department_code IS DISTINCT FROM NEW.department_code)
            EXECUTE FUNCTION notify_account_changed();
        CREATE TRIGGER user_cell_notify AFTER INSERT OR UPDATE OR DELETE ON user_cell FOR EACH ROW
            EXECUTE FUNCTION notify_account_changed();
        CREATE TRIGGER auth_session_notify AFTER UPDATE OF revoked_at ON auth_session
            FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
            EXECUTE FUNCTION notify_account_changed();
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DROP TRIGGER auth_session_notify ON auth_session;
        DROP TRIGGER user_cell_notify ON user_cell;
        DROP TRIGGER app_user_notify ON app_user;
        DROP FUNCTION notify_account_changed();
        """
    )
