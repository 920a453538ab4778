"""SQL for the domain's rules about cases, generated from their one definition in the core:
the state groups (`services.domain.states.STATE_GROUPS`) and the overdue predicate
(`services.domain.flags.is_overdue`, over `LIMIT_STATES` and `LIMIT_COLUMNS`).

Every query that asks "open?", "with a department?", "in the loop?" or "overdue?" takes its
condition from here; a test fails if a state group is written out anywhere else.
"""

from __future__ import annotations

from services.domain.flags import LIMIT_COLUMNS, LIMIT_STATES
from services.domain.states import STATE_GROUPS, CaseState


def _listed(states) -> str:
    return ", ".join(f"'{s.value}'" for s in sorted(states, key=list(CaseState).index))


def state_in(group: str, alias: str = "c") -> str:
    """`<alias>.state IN (…)`: the case is in the named group (open, closed,
    with_department, in_loop, outside_loop)."""
    column = f"{alias}.state" if alias else "state"
    return f"{column} IN ({_listed(STATE_GROUPS[group])})"


def state_not_in(group: str, alias: str = "c") -> str:
    """`<alias>.state NOT IN (…)`: the case is outside the named group (the form partial
    indexes are written in: `state NOT IN closed` is the open cases' index predicate)."""
    column = f"{alias}.state" if alias else "state"
    return f"{column} NOT IN ({_listed(STATE_GROUPS[group])})"


def open_sql(alias: str = "c") -> str:
    """The case is open; written as the open cases' partial index predicate (not closed), so
    the planner uses those indexes."""
    return state_not_in("closed", alias)


def overdue_sql(alias: str = "c", now: str = "now()") -> str:
    """A running limit of the case has passed at `now` (an SQL expression)."""
    parts = []
    for limit, states in LIMIT_STATES.items():
        due, marked = LIMIT_COLUMNS[limit]
        state = (
            f"{alias}.state = '{next(iter(states)).value}'"
            if len(states) == 1
            else f"{alias}.state IN ({_listed(states)})"
        )
        parts.append(f"({state} AND ({alias}.{marked} OR {alias}.{due} < {now}))")
    return f"({' OR '.join(parts)})"


def due_sql(alias: str = "c") -> str:
    """The due time that matters now: acknowledge while only the acknowledge limit's state
    holds, resolve afterwards."""
    [ack_state] = LIMIT_STATES["acknowledge"]
    return (
        f"(CASE WHEN {alias}.state = '{ack_state.value}' THEN {alias}.ack_due "
        f"ELSE {alias}.resolve_due END)"
    )
