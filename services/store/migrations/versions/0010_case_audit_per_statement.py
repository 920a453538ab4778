"""Case transitions audited once per statement instead of once per `case_event` row.

The router writes a batch's case events with one statement (hundreds of rows); the row-level
trigger of 0008 ran a PL/pgSQL call, a look-up of the case and a look-up of the case's latest
trail entry for each of them. This trigger reads the statement's new events as a transition
table and writes their trail entries with one `INSERT … SELECT`. The entries are the same:

- `after`: the case as it is when the statement's events are written (an AFTER ROW trigger
  also ran at the end of the statement, so it saw the same row);
- `before`: for a case's first event of the statement, the case's latest entry written
  before it; for the next events of the same case, the `after` of the one before;
- entries are appended in the order of the events' ids (the order they were inserted in);
- actor, action, subject, outcome and detail as before.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE FUNCTION audit_case_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_log (at, actor, action, subject, outcome, before, after, detail)
    SELECT now(), coalesce(e.actor, 'system'), 'case.' || e.type, e.subject, 'done',
        coalesce(lag(e.after) OVER (PARTITION BY e.case_id ORDER BY e.id),
                 (SELECT a.after FROM audit_log a WHERE a.subject = e.subject
                  ORDER BY a.id DESC LIMIT 1)),
        e.after,
        jsonb_build_object('case_no', e.case_no, 'event_id', e.event_id,
                           'event_at', e.at, 'payload', e.payload)
    FROM (
        SELECT n.id, n.case_id, n.actor, n.type, n.event_id, n.at, n.payload, c.case_no,
            'case:' || n.case_id AS subject,
            jsonb_build_object(
                'state', c.state, 'department_code', c.department_code,
                'ack_due', c.ack_due, 'resolve_due', c.resolve_due,
                'ack_overdue', c.ack_overdue, 'resolve_overdue', c.resolve_overdue,
                'rework_count', c.rework_count, 'extension_count', c.extension_count,
                'escalation_level', c.escalation_level, 'merged_into', c.merged_into) AS after
        FROM new_events n JOIN case_file c ON c.id = n.case_id
    ) e
    ORDER BY e.id;
    RETURN NULL;
END $$;
DROP TRIGGER case_event_audited ON case_event;
CREATE TRIGGER case_event_audited AFTER INSERT ON case_event
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION audit_case_events();
"""

DOWNGRADE = """
DROP TRIGGER case_event_audited ON case_event;
CREATE TRIGGER case_event_audited AFTER INSERT ON case_event
    FOR EACH ROW EXECUTE FUNCTION audit_case_event();
DROP FUNCTION audit_case_events();
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
