"""Each rule about cases is defined once, in the domain core: no module of services/ or
streams/ (migrations aside: they are history) lists the states of a group itself, in Python or
in SQL; SQL takes its conditions from services.store.cases.groups, which generates them."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

from services.domain.flags import LIMIT_STATES
from services.domain.states import STATE_GROUPS, CaseState
from services.store.cases import groups

ROOT = Path(__file__).resolve().parents[4]


def _figures():
    spec = importlib.util.spec_from_file_location("case_figures", ROOT / "scripts/case_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIGURES = _figures()


def _restated(source: str) -> list[tuple[int, set[str]]]:
    return [
        (line, names)
        for line, names in FIGURES.state_groups(ast.parse(source))
        if names != FIGURES.STATES
    ]


def test_no_module_restates_a_state_group():
    found = []
    for path in FIGURES.modules():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("services/domain/"):
            continue
        found += [f"{rel}:{line} {sorted(names)}" for line, names in _restated(path.read_text())]
    assert found == [], "state groups restated outside services.domain: " + "; ".join(found)


def test_a_restated_group_is_caught():
    source = (
        'DONE = ("closed", "rejected")\n'
        "LIVE = frozenset({CaseState.dispatched, CaseState.acknowledged})\n"
        "SQL = \"SELECT 1 FROM case_file c WHERE c.state NOT IN ('closed', 'merged')\"\n"
        "OPEN_ONES = ['reported']\n"
    )
    lines = sorted(line for line, _ in _restated(source))
    assert lines == [1, 2, 3, 4]


def test_a_list_of_every_state_is_the_enum_not_a_group():
    every = ", ".join(f'"{s.value}"' for s in CaseState)
    assert _restated(f"Name = Literal[{every}]\n") == []


def _quoted(sql: str) -> set[str]:
    return set(re.findall(r"'(\w+)'", sql))


def test_group_sql_lists_the_domain_states():
    for name, states in STATE_GROUPS.items():
        assert _quoted(groups.state_in(name)) == {s.value for s in states}
        assert groups.state_not_in(name, "k").startswith("k.state NOT IN (")
    assert _quoted(groups.open_sql()) == {s.value for s in STATE_GROUPS["closed"]}
    assert "NOT IN" in groups.open_sql()


def test_overdue_sql_follows_the_limits():
    sql = groups.overdue_sql("x")
    for states in LIMIT_STATES.values():
        assert all(f"'{s.value}'" in sql for s in states)
    assert "x.ack_overdue" in sql and "x.resolve_due < now()" in sql
