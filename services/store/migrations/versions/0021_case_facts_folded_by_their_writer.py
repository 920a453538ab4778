"""The case's rules leave the triggers: a case's KPI facts are folded by the statement that
writes its events, and the audit trail copies what the writer says a registration showed.

- `case_event`'s insert trigger (0009, 0013, 0015, 0017) restated in PL/pgSQL what each fact
  means (the first dispatch, the last resolution, an approved extension, the reworks …) beside
  its definition in `services.domain.kpi`. The facts are now defined there alone:
  `services.store.cases.facts` generates, from `FACT_RULES`, the update that `record_events`
  (the one writer of `case_event`) runs in the statement that appends the events, set-wise,
  reaching each case's fact row by its key. The triggers left on `case_fact` only copy columns
  (a new case's row, its state and place, its rating). The facts stored are unchanged.
- The trail's trigger (0011, 0015) worked out what a dispatch written in the same statement as
  the registration had changed, to show the registration without it. The writer now says so:
  `case_event.trail` (NULL but for such an event) holds what the trail shows of the case after
  the event (`services.cases.registration.Registration.shown`), and the trigger merges it into
  the case row's facts. The entries written are unchanged.

Revision ID: 0021
Revises: 0020
"""

from importlib import import_module

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# What 0015 built, read from it rather than copied (a migration is never edited once deployed).
_by_key = import_module("services.store.migrations.versions.0015_trigger_lookups_by_key")
_REBUILT = """CASE WHEN e.type = 'CaseRegistered' AND e.next_type = 'CaseDispatched'
                 THEN e.facts || '{"state": "registered", "department_code": null,
                                   "ack_due": null, "resolve_due": null}'::jsonb
                 ELSE e.facts END AS after"""
_NEXT = "lead(n.type) OVER (PARTITION BY n.case_id ORDER BY n.id) AS next_type,"
assert _REBUILT in _by_key.TRAIL and _NEXT in _by_key.TRAIL
TRAIL = _by_key.TRAIL.replace(
    _REBUILT, "CASE WHEN e.trail IS NULL THEN e.facts ELSE e.facts || e.trail END AS after"
).replace(_NEXT, "n.trail,")
PLANNED = "ALTER FUNCTION audit_case_events() SET plan_cache_mode = force_custom_plan"


def upgrade() -> None:
    op.execute("DROP TRIGGER case_event_facts ON case_event")
    op.execute("DROP FUNCTION case_fact_fold_events()")
    op.execute("ALTER TABLE case_event ADD COLUMN trail jsonb")
    op.execute(TRAIL)
    op.execute(PLANNED)  # as 0017 left it


def downgrade() -> None:
    op.execute(_by_key.TRAIL)
    op.execute(PLANNED)
    op.execute("ALTER TABLE case_event DROP COLUMN trail")
    # 0015's functions (the fold among them) with 0017's planning, and 0009's trigger.
    op.execute(_by_key.FACTS)
    op.execute("ALTER FUNCTION case_fact_fold_events() SET plan_cache_mode = force_custom_plan")
    op.execute(
        "CREATE TRIGGER case_event_facts AFTER INSERT ON case_event REFERENCING NEW TABLE AS "
        "new_events FOR EACH STATEMENT EXECUTE FUNCTION case_fact_fold_events()"
    )
