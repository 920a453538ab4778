"""The SQL of services.store.cases.groups answers as the domain core's definitions do: every
state against every group, and the overdue predicate against `flags.is_overdue` for every
state, mark and due time."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from services.domain.flags import is_overdue
from services.domain.states import STATE_GROUPS, CaseState
from services.store.cases import groups
from services.store.jsonrows import json_rows

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DUES = (None, NOW - timedelta(minutes=1), NOW + timedelta(minutes=1))


def _rows():
    for state, ack_due, resolve_due, ack_overdue, resolve_overdue in itertools.product(
        CaseState, DUES, DUES, (False, True), (False, True)
    ):
        yield {
            "state": state.value, "ack_due": ack_due, "resolve_due": resolve_due,
            "ack_overdue": ack_overdue, "resolve_overdue": resolve_overdue,
        }  # fmt: skip


def _selected(conn, condition: str) -> set[str]:
    """The states, one row each, that `condition` (over alias `c`) keeps."""
    rows = conn.execute(
        text(f"SELECT c.state FROM unnest(CAST(:states AS text[])) AS c(state) WHERE {condition}"),
        {"states": [s.value for s in CaseState]},
    )
    return set(rows.scalars())


def test_the_groups_sql_selects_the_groups_states(engine):
    with engine.connect() as conn:
        for name, states in STATE_GROUPS.items():
            assert _selected(conn, groups.state_in(name)) == {s.value for s in states}, name
            outside = set(CaseState) - states
            assert _selected(conn, groups.state_not_in(name)) == {s.value for s in outside}
        assert _selected(conn, groups.open_sql()) == {s.value for s in STATE_GROUPS["open"]}


def test_the_overdue_sql_answers_as_the_domain(engine):
    rows = list(_rows())
    with engine.connect() as conn:
        answers = conn.execute(
            text(
                f"SELECT c.n, {groups.overdue_sql(now=':now')} AS overdue FROM "
                "jsonb_to_recordset(CAST(:rows AS jsonb)) AS c(n integer, state text, "
                "ack_due timestamptz, resolve_due timestamptz, ack_overdue boolean, "
                "resolve_overdue boolean) ORDER BY c.n"
            ),
            {"now": NOW, "rows": json_rows([{**row, "n": n} for n, row in enumerate(rows)])},
        ).all()
    assert len(answers) == len(rows)
    for (n, overdue), row in zip(answers, rows, strict=True):
        assert bool(overdue) is is_overdue(CaseState(row["state"]), now=NOW, **{
            k: v for k, v in row.items() if k != "state"
        }), (n, row)  # fmt: skip
