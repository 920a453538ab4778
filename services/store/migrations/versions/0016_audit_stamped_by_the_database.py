"""The database says when an audit entry was written and, for an entry the application inserts,
who wrote it.

A member of `gridflow_app` may INSERT into `audit_log` (the trail is append-only, not
read-only), and until now the INSERT chose its own `at` and `actor`: an entry could claim any
author and any time. A BEFORE INSERT trigger now sets `at` to the transaction's time always,
and `actor` of an entry the application inserts itself to the transaction's application
context: `gridflow.actor`, set once per unit of work (`services.audit.acting_as`), else
`db:<session user>`. Entries the database's own audit triggers write (case transitions,
accounts, Open311 clients, reference data; trigger depth above 1) keep the actor those
triggers give them.

Revision ID: 0016
Revises: 0015
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE FUNCTION audit_log_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.at := now();
    IF pg_trigger_depth() <= 1 THEN
        NEW.actor := audit_actor();
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_log_stamped BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_stamp();
"""

DOWNGRADE = """
DROP TRIGGER audit_log_stamped ON audit_log;
DROP FUNCTION audit_log_stamp();
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
