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

from importlib import import_module

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# What 0009 built, read from it rather than copied (a migration is never edited once deployed).
_facts = import_module("services.store.migrations.versions.0009_case_facts")
PLACE, FACTS = _facts.PLACE, _facts.FACTS
FOLDED = _facts.FOLD.format(source="new_events")
FOLDED_INTO = """
    LEAST(f.dispatched_at, e.dispatched_at),
    LEAST(f.acknowledged_at, e.acknowledged_at),
    GREATEST(f.resolved_at, e.resolved_at),
    GREATEST(f.closed_at, e.closed_at),
    f.postponed OR e.postponed,
    f.resolutions + e.resolutions,
    f.failed_verifications + e.failed_verifications
"""


def _functions(*, written_once: bool) -> str:
    """The two trigger functions: as this revision makes them, or as 0009 left them."""
    taken = ", dispatched_at" if written_once else ""
    changed = (
        f" AND ({', '.join('f.' + name.strip() for name in FACTS.split(','))}) "
        f"IS DISTINCT FROM ({FOLDED_INTO})"
        if written_once
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
    op.execute(_functions(written_once=True))


def downgrade() -> None:
    op.execute(_functions(written_once=False))
