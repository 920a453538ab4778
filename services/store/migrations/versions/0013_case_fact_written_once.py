"""A case dispatched at once has its facts written once.

The router inserts a case already dispatched, its `CaseRegistered` and `CaseDispatched` events
in the statement after. `case_fact`'s row was inserted without the dispatch time, then the
events' fold rewrote it (a new row version, its two index entries) to set the dispatch time
the case row already held: ~8 % of a batch's PostgreSQL time in `auto_explain`; in batches of
200 rolled back, the router's PostgreSQL CPU per case went from a median of 0.63 to 0.59 ms
(three pairs back to back, 0.57–0.74 before, 0.53–0.65 after).

- `case_file` INSERT: the row also takes the case's `dispatched_at`. A case row written
  dispatched is written so by its first dispatch, whose `CaseDispatched` event carries the
  same instant; every other case is inserted undispatched, as before.
- `case_event` INSERT: the fold leaves alone a row it would not change (the earliest dispatch
  and acknowledgement, the latest resolution and closure, postponed, the counts), as the
  copy from `case_file` already does. The facts are the same as before for every history.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# As in 0009 (a migration keeps its own copy of what it builds on).
PLACE = "state, department_code, resolve_due, district_code, street_code, community_code, cell_code"
FOLDED = """
SELECT case_id,
  min(at) FILTER (WHERE type = 'CaseDispatched') AS dispatched_at,
  min(at) FILTER (WHERE type = 'CaseAcknowledged') AS acknowledged_at,
  max(at) FILTER (WHERE type = 'CaseResolved') AS resolved_at,
  max(at) FILTER (WHERE type = 'CaseClosed') AS closed_at,
  coalesce(bool_or(type = 'ExtensionApproved'), false) AS postponed,
  count(*) FILTER (WHERE type = 'CaseResolved') AS resolutions,
  count(*) FILTER (WHERE type = 'CaseReworked') AS failed_verifications
FROM new_events WHERE type IN ('CaseDispatched', 'CaseAcknowledged', 'CaseResolved',
  'CaseClosed', 'ExtensionApproved', 'CaseReworked') GROUP BY case_id
"""
FOLDED_INTO = """
    LEAST(f.dispatched_at, e.dispatched_at),
    LEAST(f.acknowledged_at, e.acknowledged_at),
    GREATEST(f.resolved_at, e.resolved_at),
    GREATEST(f.closed_at, e.closed_at),
    f.postponed OR e.postponed,
    f.resolutions + e.resolutions,
    f.failed_verifications + e.failed_verifications
"""
FACTS = (
    "dispatched_at, acknowledged_at, resolved_at, closed_at, postponed, resolutions, "
    "failed_verifications"
)


def _functions(*, dispatched: bool, only_changes: bool) -> str:
    taken = ", dispatched_at" if dispatched else ""
    changed = (
        f" AND ({', '.join('f.' + name.strip() for name in FACTS.split(','))}) "
        f"IS DISTINCT FROM ({FOLDED_INTO})"
        if only_changes
        else ""
    )
    return f"""
CREATE OR REPLACE FUNCTION case_fact_add_cases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO case_fact (case_id, created_at, {PLACE}{taken})
  SELECT id, created_at, {PLACE}{taken} FROM new_cases
  ON CONFLICT (case_id) DO NOTHING;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION case_fact_fold_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE case_fact f SET ({FACTS}) = ROW({FOLDED_INTO})
  FROM ({FOLDED}) e
  WHERE f.case_id = e.case_id{changed};
  RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.execute(_functions(dispatched=True, only_changes=True))


def downgrade() -> None:
    op.execute(_functions(dispatched=False, only_changes=False))
