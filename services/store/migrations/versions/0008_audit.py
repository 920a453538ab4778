"""Audit trail: append-only `audit_log`, the application role, and the changes the database
records by itself (case transitions, account and Open311 client changes).

Deployment (see infra/README.md): migrations run as the role that owns the tables; every
gridflow process connects as a login role that is a member of `gridflow_app`, which may read
and write the application's tables but only SELECT and INSERT `audit_log` — so the database
itself refuses the processes' UPDATE, DELETE and TRUNCATE of the trail, and since they do not
own the table they cannot drop its triggers either. On top of that, triggers refuse UPDATE,
DELETE and TRUNCATE for every role that does not bypass them: this is what refuses a local
stack whose processes use the owner's URL.

Who writes the trail:
- case transitions: a trigger on `case_event` (every event a unit of work records), with the
  case as it is after the event and, as `before`, the previous entry's `after`;
- accounts (`app_user`) and Open311 clients: triggers (password hashes and key hashes are
  never copied); the actor is the transaction's `gridflow.actor` setting
  (`services.audit.acting_as`), else `db:<session user>` (SQL function `audit_actor()`);
- an account's cells: `services.auth.users.set_cells`, one entry with the cells before/after;
- grid versions, the category catalog and calendar overrides: a generic row trigger;
- rule, department and moderation changes: the handlers, through `services.audit.record`.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = """
ALTER TABLE audit_log ADD COLUMN before jsonb, ADD COLUMN after jsonb;
CREATE INDEX audit_log_by_subject_id ON audit_log (subject, id DESC);
CREATE INDEX audit_log_by_actor ON audit_log (actor, id DESC);
"""

APPEND_ONLY = """
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
"""

APP_ROLE = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gridflow_app') THEN
        BEGIN
            CREATE ROLE gridflow_app NOLOGIN;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL;  -- created concurrently
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'the role gridflow_app is missing and this role may not '
                    'create it: create it first (see infra/README.md)';
        END;
    END IF;
END $$;
GRANT USAGE ON SCHEMA public TO gridflow_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO gridflow_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO gridflow_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO gridflow_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO gridflow_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM gridflow_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM gridflow_app;
"""

ACTOR = """
CREATE FUNCTION audit_actor() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('gridflow.actor', true), ''), 'db:' || session_user)
$$;
"""

CASES = """
CREATE FUNCTION audit_case_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    case_subject text := 'case:' || NEW.case_id;
BEGIN
    INSERT INTO audit_log (at, actor, action, subject, outcome, before, after, detail)
    SELECT now(), coalesce(NEW.actor, 'system'), 'case.' || NEW.type, case_subject, 'done',
        (SELECT a.after FROM audit_log a WHERE a.subject = case_subject
         ORDER BY a.id DESC LIMIT 1),
        jsonb_build_object(
            'state', c.state, 'department_code', c.department_code,
            'ack_due', c.ack_due, 'resolve_due', c.resolve_due,
            'ack_overdue', c.ack_overdue, 'resolve_overdue', c.resolve_overdue,
            'rework_count', c.rework_count, 'extension_count', c.extension_count,
            'escalation_level', c.escalation_level, 'merged_into', c.merged_into),
        jsonb_build_object('case_no', c.case_no, 'event_id', NEW.event_id,
                           'event_at', NEW.at, 'payload', NEW.payload)
    FROM case_file c WHERE c.id = NEW.case_id;
    RETURN NULL;
END $$;
CREATE TRIGGER case_event_audited AFTER INSERT ON case_event
    FOR EACH ROW EXECUTE FUNCTION audit_case_event();
"""

ACCOUNTS = """
CREATE FUNCTION audit_account() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP <> 'INSERT'
        THEN to_jsonb(OLD) - 'password_hash' - 'updated_at' END;
    new_row jsonb := CASE WHEN TG_OP <> 'DELETE'
        THEN to_jsonb(NEW) - 'password_hash' - 'updated_at' END;
    password_changed boolean := TG_OP = 'UPDATE' AND OLD.password_hash <> NEW.password_hash;
BEGIN
    IF TG_OP = 'UPDATE' AND old_row = new_row AND NOT password_changed THEN
        RETURN NULL;
    END IF;
    INSERT INTO audit_log (actor, action, subject, outcome, before, after, detail)
    VALUES (audit_actor(), 'account.' || lower(TG_OP),
            'account:' || coalesce(NEW.username, OLD.username), 'done', old_row, new_row,
            jsonb_build_object('password_changed', coalesce(password_changed, false)));
    RETURN NULL;
END $$;
CREATE TRIGGER app_user_audited AFTER INSERT OR UPDATE OR DELETE ON app_user
    FOR EACH ROW EXECUTE FUNCTION audit_account();

CREATE FUNCTION audit_open311_client() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_log (actor, action, subject, outcome, before, after)
    VALUES (audit_actor(),
            CASE WHEN TG_OP = 'INSERT' THEN 'open311_client.create'
                 WHEN NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL
                 THEN 'open311_client.revoke' ELSE 'open311_client.' || lower(TG_OP) END,
            'open311_client:' || coalesce(NEW.name, OLD.name), 'done',
            CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) - 'key_hash' END,
            CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) - 'key_hash' END);
    RETURN NULL;
END $$;
CREATE TRIGGER open311_client_audited AFTER INSERT OR UPDATE OR DELETE ON open311_client
    FOR EACH ROW EXECUTE FUNCTION audit_open311_client();
"""


REFERENCE_DATA = """
-- Reference data admins change (grids, the category catalog, the working calendar): one entry
-- per row written, keyed by the column named in the trigger's argument.
CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
BEGIN
    IF TG_OP = 'UPDATE' AND old_row = new_row THEN
        RETURN NULL;
    END IF;
    INSERT INTO audit_log (actor, action, subject, outcome, before, after)
    VALUES (audit_actor(), TG_TABLE_NAME || '.' || lower(TG_OP),
            TG_TABLE_NAME || ':' || (coalesce(new_row, old_row) ->> TG_ARGV[0]), 'done',
            old_row, new_row);
    RETURN NULL;
END $$;
CREATE TRIGGER grid_version_audited AFTER INSERT OR UPDATE OR DELETE ON grid_version
    FOR EACH ROW EXECUTE FUNCTION audit_row('id');
CREATE TRIGGER category_audited AFTER INSERT OR UPDATE OR DELETE ON category
    FOR EACH ROW EXECUTE FUNCTION audit_row('code');
CREATE TRIGGER calendar_override_audited AFTER INSERT OR UPDATE OR DELETE ON calendar_override
    FOR EACH ROW EXECUTE FUNCTION audit_row('day');
"""


def upgrade() -> None:
    op.execute(COLUMNS)
    op.execute(APPEND_ONLY)
    op.execute(APP_ROLE)
    op.execute(ACTOR)
    op.execute(CASES)
    op.execute(ACCOUNTS)
    op.execute(REFERENCE_DATA)


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER grid_version_audited ON grid_version; "
        "DROP TRIGGER category_audited ON category; "
        "DROP TRIGGER calendar_override_audited ON calendar_override; "
        "DROP TRIGGER open311_client_audited ON open311_client; "
        "DROP TRIGGER app_user_audited ON app_user; DROP TRIGGER case_event_audited ON case_event; "
        "DROP TRIGGER audit_log_append_only ON audit_log; "
        "DROP TRIGGER audit_log_no_truncate ON audit_log; "
        "DROP FUNCTION audit_row(), audit_open311_client(), audit_account(), "
        "audit_case_event(), audit_actor(), audit_log_refuse_change(); "
        "DROP INDEX audit_log_by_subject_id, audit_log_by_actor; "
        "ALTER TABLE audit_log DROP COLUMN before, DROP COLUMN after; "
        "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM gridflow_app; "
        "REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM gridflow_app; "
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM gridflow_app; "
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM gridflow_app; "
        "REVOKE USAGE ON SCHEMA public FROM gridflow_app"
    )
