"""Per-case facts for the KPIs: `case_fact`, kept by the database itself.

The KPI reports (services.stats) and the command center's tiles need, for every case, where
it is and who holds it, its state and resolve due time, its first dispatch, first
acknowledgement, last resolution and closure, whether an extension was approved, how many
resolutions and failed verifications (reworks) it had, and its rating. Aggregating these from
`case_event` on every request read hundreds of thousands of events for a month and joined a
million cases; `case_fact` is one narrow row per case, indexed by report time, so a period's
KPIs read its rows and nothing else.

Statement-level triggers keep it in the writer's transaction, so no writer's code takes part
and the facts are always those of the committed rows (a multi-row insert costs one trigger
call):
- `case_file` INSERT: a row with the case's place, department, state, times;
- `case_file` UPDATE: the state, department, resolve due time and place copied again;
- `case_event` INSERT: each case's new events folded in — the earliest CaseDispatched and
  CaseAcknowledged, the latest CaseResolved and CaseClosed, ExtensionApproved seen (postponed),
  the number of CaseResolved (resolutions) and CaseReworked (failed_verifications);
- `case_rating` INSERT/UPDATE: the rating.
Existing rows are folded in once, here.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

PLACE = "state, department_code, resolve_due, district_code, street_code, community_code, cell_code"
FACTS = (
    "dispatched_at, acknowledged_at, resolved_at, closed_at, postponed, resolutions, "
    "failed_verifications"
)
FACT_TYPES = (
    "'CaseDispatched', 'CaseAcknowledged', 'CaseResolved', 'CaseClosed', "
    "'ExtensionApproved', 'CaseReworked'"
)
FOLD = f"""
SELECT case_id,
  min(at) FILTER (WHERE type = 'CaseDispatched') AS dispatched_at,
  min(at) FILTER (WHERE type = 'CaseAcknowledged') AS acknowledged_at,
  max(at) FILTER (WHERE type = 'CaseResolved') AS resolved_at,
  max(at) FILTER (WHERE type = 'CaseClosed') AS closed_at,
  coalesce(bool_or(type = 'ExtensionApproved'), false) AS postponed,
  count(*) FILTER (WHERE type = 'CaseResolved') AS resolutions,
  count(*) FILTER (WHERE type = 'CaseReworked') AS failed_verifications
FROM {{source}} WHERE type IN ({FACT_TYPES}) GROUP BY case_id
"""

TABLE = """
CREATE TABLE case_fact (
  case_id uuid PRIMARY KEY REFERENCES case_file(id),
  created_at timestamptz NOT NULL,
  state text NOT NULL,
  department_code text,
  resolve_due timestamptz,
  district_code text,
  street_code text,
  community_code text,
  cell_code text,
  dispatched_at timestamptz,
  acknowledged_at timestamptz,
  resolved_at timestamptz,
  closed_at timestamptz,
  postponed boolean NOT NULL DEFAULT false,
  resolutions integer NOT NULL DEFAULT 0,
  failed_verifications integer NOT NULL DEFAULT 0,
  rating text
)
"""

BACKFILL = f"""
INSERT INTO case_fact (case_id, created_at, {PLACE}, {FACTS}, rating)
SELECT c.id, c.created_at, {", ".join("c." + p.strip() for p in PLACE.split(","))},
  e.dispatched_at, e.acknowledged_at, e.resolved_at, e.closed_at,
  coalesce(e.postponed, false), coalesce(e.resolutions, 0), coalesce(e.failed_verifications, 0),
  g.rating
FROM case_file c
LEFT JOIN ({FOLD.format(source="case_event")}) e ON e.case_id = c.id
LEFT JOIN case_rating g ON g.case_id = c.id
ORDER BY c.created_at
"""

TRIGGERS = f"""
CREATE FUNCTION case_fact_add_cases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO case_fact (case_id, created_at, {PLACE})
  SELECT id, created_at, {PLACE} FROM new_cases
  ON CONFLICT (case_id) DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER case_file_facts_added AFTER INSERT ON case_file
  REFERENCING NEW TABLE AS new_cases FOR EACH STATEMENT EXECUTE FUNCTION case_fact_add_cases();

CREATE FUNCTION case_fact_copy_cases() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE case_fact f SET state = n.state, department_code = n.department_code,
    resolve_due = n.resolve_due, district_code = n.district_code,
    street_code = n.street_code, community_code = n.community_code, cell_code = n.cell_code
  FROM new_cases n
  WHERE f.case_id = n.id AND ({", ".join("f." + p.strip() for p in PLACE.split(","))})
    IS DISTINCT FROM (n.state, n.department_code,
    n.resolve_due, n.district_code, n.street_code, n.community_code, n.cell_code);
  RETURN NULL;
END $$;
CREATE TRIGGER case_file_facts_changed AFTER UPDATE ON case_file
  REFERENCING NEW TABLE AS new_cases FOR EACH STATEMENT EXECUTE FUNCTION case_fact_copy_cases();

CREATE FUNCTION case_fact_fold_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE case_fact f SET
    dispatched_at = LEAST(f.dispatched_at, e.dispatched_at),
    acknowledged_at = LEAST(f.acknowledged_at, e.acknowledged_at),
    resolved_at = GREATEST(f.resolved_at, e.resolved_at),
    closed_at = GREATEST(f.closed_at, e.closed_at),
    postponed = f.postponed OR e.postponed,
    resolutions = f.resolutions + e.resolutions,
    failed_verifications = f.failed_verifications + e.failed_verifications
  FROM ({FOLD.format(source="new_events")}) e
  WHERE f.case_id = e.case_id;
  RETURN NULL;
END $$;
CREATE TRIGGER case_event_facts AFTER INSERT ON case_event
  REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION case_fact_fold_events();

CREATE FUNCTION case_fact_rate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE case_fact f SET rating = n.rating FROM new_ratings n WHERE f.case_id = n.case_id;
  RETURN NULL;
END $$;
CREATE TRIGGER case_rating_facts_added AFTER INSERT ON case_rating
  REFERENCING NEW TABLE AS new_ratings FOR EACH STATEMENT EXECUTE FUNCTION case_fact_rate();
CREATE TRIGGER case_rating_facts_changed AFTER UPDATE ON case_rating
  REFERENCING NEW TABLE AS new_ratings FOR EACH STATEMENT EXECUTE FUNCTION case_fact_rate();
"""


def upgrade() -> None:
    op.execute(TABLE)
    op.execute("SET LOCAL statement_timeout = 0")
    op.execute("SET LOCAL work_mem = '256MB'")
    op.execute("LOCK TABLE case_file, case_event, case_rating IN SHARE MODE")
    op.execute(BACKFILL)
    op.execute("CREATE INDEX case_fact_by_created ON case_fact (created_at)")
    op.execute(TRIGGERS)
    op.execute("ANALYZE case_fact")


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER case_rating_facts_changed ON case_rating; "
        "DROP TRIGGER case_rating_facts_added ON case_rating; "
        "DROP TRIGGER case_event_facts ON case_event; "
        "DROP TRIGGER case_file_facts_changed ON case_file; "
        "DROP TRIGGER case_file_facts_added ON case_file; "
        "DROP FUNCTION case_fact_rate(), case_fact_fold_events(), case_fact_copy_cases(), "
        "case_fact_add_cases(); DROP TABLE case_fact"
    )
