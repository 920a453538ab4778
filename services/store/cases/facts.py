"""SQL keeping `case_fact`'s facts of a case's history, generated from their one definition in
the core (`services.domain.kpi.FACT_RULES`): the first dispatch and acknowledgement, the last
resolution and closure, an approved extension, the resolutions and failed verifications.

`record_events` (services.store.cases.history) folds each statement's new events into the
facts in the statement that writes them, set-wise; `refold` recomputes them from the whole
history after a bulk load. The database's triggers only copy columns (a new case's row, its
place and state, its rating) into `case_fact`; a test fails if a fact is folded anywhere else.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from services.domain.kpi import FACT_RULES, Fold

COLUMNS = ", ".join(rule.fact for rule in FACT_RULES)
EVENT_TYPES = tuple(dict.fromkeys(rule.event.__name__ for rule in FACT_RULES))

# Each fact over its events' rows (`type`, `at`) of one case, and the stored fact `f.<fact>`
# with the new events' `x.<fact>` (LEAST/GREATEST skip a NULL side).
_FOLDED = {
    Fold.first: "min(at) FILTER (WHERE type = '{event}')",
    Fold.last: "max(at) FILTER (WHERE type = '{event}')",
    Fold.seen: "coalesce(bool_or(type = '{event}'), false)",
    Fold.count: "count(*) FILTER (WHERE type = '{event}')",
}
_ADDED = {
    Fold.first: "LEAST(f.{fact}, x.{fact})",
    Fold.last: "GREATEST(f.{fact}, x.{fact})",
    Fold.seen: "(f.{fact} OR x.{fact})",
    Fold.count: "f.{fact} + x.{fact}",
}


def folded(source: str) -> str:
    """`SELECT case_id, <each fact>` of the events in `source` (a table or CTE with case_id,
    type and at), one row per case that has an event of a fact."""
    facts = ", ".join(
        f"{_FOLDED[r.fold].format(event=r.event.__name__)} AS {r.fact}" for r in FACT_RULES
    )
    listed = ", ".join(f"'{t}'" for t in EVENT_TYPES)
    return f"SELECT case_id, {facts} FROM {source} WHERE type IN ({listed}) GROUP BY case_id"


def added_to_facts(source: str) -> str:
    """An UPDATE adding the events in `source` to their cases' facts; `source` is a CTE of the
    statement it is a part of. Only rows whose facts change are written. The cases are reached
    through `case_fact`'s key (the array's length unknown to the planner, it is a handful of
    key look-ups however small the table was when a kept plan was made), so a batch never
    scans the table."""
    combined = ", ".join(_ADDED[r.fold].format(fact=r.fact) for r in FACT_RULES)
    stored = ", ".join(f"f.{r.fact}" for r in FACT_RULES)
    return (
        f"UPDATE case_fact f SET ({COLUMNS}) = ROW({combined}) FROM ({folded(source)}) x "
        f"WHERE f.case_id = x.case_id "
        f"AND f.case_id = ANY(ARRAY(SELECT DISTINCT case_id FROM {source})) "
        f"AND ({stored}) IS DISTINCT FROM ({combined})"
    )


def refold(conn: Connection) -> int:
    """Sets the facts of every case with an event of a fact from its whole history (after
    events were loaded in bulk, past `record_events`); returns the rows changed."""
    values = ", ".join(f"x.{r.fact}" for r in FACT_RULES)
    stored = ", ".join(f"f.{r.fact}" for r in FACT_RULES)
    result = conn.execute(
        text(
            f"UPDATE case_fact f SET ({COLUMNS}) = ROW({values}) "
            f"FROM ({folded('case_event')}) x WHERE f.case_id = x.case_id "
            f"AND ({stored}) IS DISTINCT FROM ({values})"
        )
    )
    return result.rowcount
