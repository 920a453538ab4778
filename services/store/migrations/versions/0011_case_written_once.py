"""A case the router dispatches at once is written once: the trail of its registration.

The router used to insert such a case as `registered`, write the registration's event, then
update the case to `dispatched` and write the dispatch's event: two writes of the case row,
the second one through all of its indexes again. It now inserts the case as the dispatch
leaves it and writes both events with one statement. The trail (0010) shows each event's
`after` as the case is when the statement's events are written, which would be `dispatched`
for the registration too; so the entry of a `CaseRegistered` followed, in the same statement,
by a `CaseDispatched` of the same case shows the case without what the dispatch set: state
`registered`, no department, no due times — the entries are those of the two-step writes.

Every trail entry also updates one index fewer: `audit_log_by_subject` (subject, at) is
dropped. Entries are read by subject newest first by id, which `audit_log_by_subject_id`
(subject, id) serves; a time range within a subject is a filter over that subject's entries.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# The case's facts in a trail entry (0010), from the case row `c`.
AFTER = """jsonb_build_object(
                'state', c.state, 'department_code', c.department_code,
                'ack_due', c.ack_due, 'resolve_due', c.resolve_due,
                'ack_overdue', c.ack_overdue, 'resolve_overdue', c.resolve_overdue,
                'rework_count', c.rework_count, 'extension_count', c.extension_count,
                'escalation_level', c.escalation_level, 'merged_into', c.merged_into)"""

FUNCTION = """
CREATE OR REPLACE FUNCTION audit_case_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_log (at, actor, action, subject, outcome, before, after, detail)
    SELECT now(), coalesce(s.actor, 'system'), 'case.' || s.type, s.subject, 'done',
        coalesce(lag(s.after) OVER (PARTITION BY s.case_id ORDER BY s.id),
                 (SELECT a.after FROM audit_log a WHERE a.subject = s.subject
                  ORDER BY a.id DESC LIMIT 1)),
        s.after,
        jsonb_build_object('case_no', s.case_no, 'event_id', s.event_id,
                           'event_at', s.at, 'payload', s.payload)
    FROM (
        SELECT e.id, e.case_id, e.actor, e.type, e.event_id, e.at, e.payload, e.case_no,
            e.subject,
            CASE WHEN {registration_with_dispatch}
                 THEN e.facts || '{{"state": "registered", "department_code": null,
                                   "ack_due": null, "resolve_due": null}}'::jsonb
                 ELSE e.facts END AS after
        FROM (
            SELECT n.id, n.case_id, n.actor, n.type, n.event_id, n.at, n.payload, c.case_no,
                'case:' || n.case_id AS subject,
                lead(n.type) OVER (PARTITION BY n.case_id ORDER BY n.id) AS next_type,
                {after} AS facts
            FROM new_events n JOIN case_file c ON c.id = n.case_id
        ) e
    ) s
    ORDER BY s.id;
    RETURN NULL;
END $$;
"""

UPGRADE = FUNCTION.format(
    registration_with_dispatch="e.type = 'CaseRegistered' AND e.next_type = 'CaseDispatched'",
    after=AFTER,
)
# 0010's function: every entry shows the case row as it is.
DOWNGRADE = FUNCTION.format(registration_with_dispatch="false", after=AFTER)


def upgrade() -> None:
    op.execute(UPGRADE)
    op.execute("DROP INDEX IF EXISTS audit_log_by_subject")


def downgrade() -> None:
    op.execute("CREATE INDEX audit_log_by_subject ON audit_log (subject, at DESC)")
    op.execute(DOWNGRADE)
