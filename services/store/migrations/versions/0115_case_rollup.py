"""A month's KPI counts per district, street and department, kept beside `case_fact` so a
quarter's ranking of a district's streets or departments reads a few thousand summed rows
instead of a quarter of a million facts.

- `case_rollup_parts(case_fact)` is each case's part of the counts (one row: its local month,
  place and department, 1 or 0 per count, its resolutions, reworks, supervisions and urgings):
  the counts that do not depend on the instant a report is for (应结案 does: a case open past
  its due time; the readers count those few from the open cases' index).
- Every statement writing `case_fact` (the insert trigger, the place, state and rating copies,
  `record_events`' fold, a refold) appends, in the same transaction, the difference it made to
  `case_rollup_delta`: the parts of the rows after it less the parts of the rows before it,
  summed per month and group, zero rows left out (statement triggers over transition tables,
  set-wise). Appending takes no lock another writer waits for.
- `case_rollup` holds the compacted sums; `services.store.rollup.compact` moves the deltas into
  it (the scheduler, every minute; a bulk load after its refold). A reader sums both.
- The durations' medians and p90s are read exact from the facts, through an index holding
  what they need (an index-only scan of a quarter instead of its table pages).
- Months are local to Asia/Shanghai (the working calendar's default zone); a period in another
  zone is read from the facts.

Revision ID: 0115
Revises: 0105
"""

from alembic import op

revision = "0115"
down_revision = "0105"
branch_labels = None
depends_on = None

IN_LOOP = "c.state NOT IN ('reported', 'rejected', 'merged')"
COUNTS = (
    ("filed", "1"),
    ("cases", f"({IN_LOOP})::int"),
    ("closed", "(c.state = 'closed')::int"),
    ("closed_postponed", "(c.state = 'closed' AND c.postponed)::int"),
    ("on_time", "(c.state = 'closed' AND NOT c.postponed AND (c.resolve_due IS NULL "
                "OR coalesce(c.resolved_at, c.closed_at) <= c.resolve_due))::int"),
    ("resolutions", f"CASE WHEN {IN_LOOP} THEN c.resolutions ELSE 0 END"),
    ("failed", f"CASE WHEN {IN_LOOP} THEN c.failed_verifications ELSE 0 END"),
    ("supervisions", f"CASE WHEN {IN_LOOP} THEN c.supervisions ELSE 0 END"),
    ("urgings", f"CASE WHEN {IN_LOOP} THEN c.urgings ELSE 0 END"),
    ("dispatched", f"({IN_LOOP} AND c.dispatched_at IS NOT NULL)::int"),
    ("postponed_dispatched", f"({IN_LOOP} AND c.dispatched_at IS NOT NULL AND c.postponed)::int"),
    ("rated", f"({IN_LOOP} AND c.rating IS NOT NULL)::int"),
    ("satisfied", f"({IN_LOOP} AND c.rating = 'satisfied')::int"),
    ("basic", f"({IN_LOOP} AND c.rating = 'basically_satisfied')::int"),
    ("dissatisfied", f"({IN_LOOP} AND c.rating = 'dissatisfied')::int"),
    ("revisited", f"({IN_LOOP} AND c.rating = 'dissatisfied' "
                  "AND c.revisit_rating IS NOT NULL)::int"),
    ("better", f"({IN_LOOP} AND c.rating = 'dissatisfied' "
               "AND c.revisit_rating IN ('satisfied', 'basically_satisfied'))::int"),
    ("on_spot", f"({IN_LOOP} AND c.on_spot)::int"),
    ("patrol_found", f"({IN_LOOP} AND c.worker_id IS NOT NULL)::int"),
    ("supervised_unhandled", f"({IN_LOOP} AND c.supervisions > 0 "
                             "AND c.state NOT IN ('resolved', 'closed'))::int"),
)  # fmt: skip
NAMES = [name for name, _ in COUNTS]
KEY = "month, district_code, street_code, department_code"
_COLUMNS = ",\n  ".join(f"{name} bigint NOT NULL" for name in NAMES)
_SUMS = ", ".join(f"sum({name})" for name in NAMES)
_DIFFERENCE = ", ".join(f"sum(sign * {name})" for name in NAMES)
_NONZERO = " OR ".join(f"sum(sign * {name}) <> 0" for name in NAMES)


def _table(name: str) -> str:
    return f"""CREATE TABLE {name} (
  month date NOT NULL, district_code text, street_code text, department_code text,
  {_COLUMNS}
)"""


PARTS = f"""
CREATE FUNCTION case_rollup_parts(c case_fact)
RETURNS TABLE (month date, district_code text, street_code text, department_code text,
  {", ".join(f"{name} bigint" for name in NAMES)})
LANGUAGE sql STABLE AS $$
SELECT date_trunc('month', c.created_at AT TIME ZONE 'Asia/Shanghai')::date, c.district_code,
  c.street_code, c.department_code,
  {", ".join(f"coalesce(({expression})::bigint, 0)" for _, expression in COUNTS)}
$$
"""


def _signed(side: str, table: str) -> str:
    sign = "1" if side == "new" else "-1"
    return f"SELECT {sign} AS sign, p.* FROM {table} t CROSS JOIN LATERAL case_rollup_parts(t) p"


def _append(sides: str) -> str:
    return f"""INSERT INTO case_rollup_delta ({KEY}, {", ".join(NAMES)})
    SELECT {KEY}, {_DIFFERENCE} FROM ({sides}) d
    GROUP BY {KEY} HAVING {_NONZERO};"""


APPEND = f"""
CREATE FUNCTION case_rollup_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Each branch names only the transition tables its event has.
  IF TG_OP = 'INSERT' THEN
    {_append(_signed("new", "new_facts"))}
  ELSIF TG_OP = 'DELETE' THEN
    {_append(_signed("old", "old_facts"))}
  ELSE
    {_append(_signed("new", "new_facts") + " UNION ALL " + _signed("old", "old_facts"))}
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER case_fact_rollup_insert AFTER INSERT ON case_fact
  REFERENCING NEW TABLE AS new_facts FOR EACH STATEMENT EXECUTE FUNCTION case_rollup_append();
CREATE TRIGGER case_fact_rollup_update AFTER UPDATE ON case_fact
  REFERENCING OLD TABLE AS old_facts NEW TABLE AS new_facts
  FOR EACH STATEMENT EXECUTE FUNCTION case_rollup_append();
CREATE TRIGGER case_fact_rollup_delete AFTER DELETE ON case_fact
  REFERENCING OLD TABLE AS old_facts FOR EACH STATEMENT EXECUTE FUNCTION case_rollup_append();
"""


def upgrade() -> None:
    op.execute(_table("case_rollup"))
    op.execute(f"CREATE UNIQUE INDEX case_rollup_key ON case_rollup ({KEY}) NULLS NOT DISTINCT")
    op.execute(_table("case_rollup_delta"))
    op.execute("CREATE INDEX case_rollup_delta_by_month ON case_rollup_delta (month)")
    op.execute(PARTS)
    op.execute("SET LOCAL statement_timeout = 0")  # a city's million facts
    op.execute(
        f"INSERT INTO case_rollup SELECT {KEY}, {_SUMS} FROM (SELECT p.* FROM case_fact c "
        f"CROSS JOIN LATERAL case_rollup_parts(c) p) parts GROUP BY {KEY}"
    )
    op.execute(APPEND)
    # The open cases (not closed, rejected or merged) by report time: the due ones among a
    # period's open cases are counted from the facts as of the instant a report is for.
    op.execute(
        "CREATE INDEX case_fact_open_by_created ON case_fact (created_at) "
        "WHERE state NOT IN ('rejected', 'merged', 'closed')"
    )
    # The durations' order statistics stay exact, read from the facts: a period's durations by
    # district, street or department from the index alone (a quarter's ~250,000 rows of the
    # table are ~270 MB of pages; of this index ~20 MB).
    op.execute(
        "CREATE INDEX case_fact_durations_by_created ON case_fact (created_at) "
        "INCLUDE (district_code, street_code, department_code, ack_s, resolve_s, close_s)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX case_fact_durations_by_created")
    op.execute("DROP INDEX case_fact_open_by_created")
    op.execute("DROP TRIGGER case_fact_rollup_insert ON case_fact")
    op.execute("DROP TRIGGER case_fact_rollup_update ON case_fact")
    op.execute("DROP TRIGGER case_fact_rollup_delete ON case_fact")
    op.execute("DROP FUNCTION case_rollup_append()")
    op.execute("DROP FUNCTION case_rollup_parts(case_fact)")
    op.execute("DROP TABLE case_rollup_delta")
    op.execute("DROP TABLE case_rollup")
