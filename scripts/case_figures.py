"""Counts how many places in services/ and streams/ hold what the case rules say, for the
closing notes of changes to the case's home. Prints one JSON object:

- sql_modules: modules (migrations aside) that run SQL (`text(`, `.execute(`,
  `exec_driver_sql(`, the store's psycopg helpers `direct.fetch_one(`/`fetch_all(`/
  `transaction(`), and how many of them are outside the store (`services/store/`,
  `services/cases/repository*`);
- open_defined: places that state which case states are open or closed (a literal set of
  state names, or SQL `state [NOT] IN ('…')`), the domain core's definition included;
- state_groups: every literal group of case states outside the domain core;
- case_stores: modules that read `case_file` rows into a case dataclass of their own;
- registration_paths: modules that insert new `case_file` rows.

Run: .venv/bin/python scripts/case_figures.py
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATES = {
    "reported", "registered", "rejected", "merged", "dispatched", "acknowledged", "returned",
    "resolved", "closed",
}  # fmt: skip
CLOSED = {"closed", "rejected", "merged"}
SQL_CALL = re.compile(
    r"\btext\(|\.execute\(|\.exec_driver_sql\(|\bdirect\.(?:fetch_one|fetch_all|transaction)\("
)
SQL_GROUP = re.compile(r"state\s+(?:NOT\s+)?IN\s*(\(\s*'[^)]*\))", re.I)
STORE = ("services/store/", "services/cases/repository")


def modules() -> list[Path]:
    found = []
    for top in ("services", "streams"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" not in path.parts:
                found.append(path)
    return found


def literal(value: ast.expr) -> bool:
    """A literal group of values, or one wrapped in frozenset(…)/set(…)/tuple(…)."""
    if isinstance(value, ast.Call):
        named = isinstance(value.func, ast.Name)
        wrapper = named and value.func.id in {"frozenset", "set", "tuple"}
        return wrapper and bool(value.args) and literal(value.args[0])
    return isinstance(value, ast.Tuple | ast.List | ast.Set | ast.Constant)


def state_groups(tree: ast.AST) -> list[tuple[int, set[str]]]:
    """(line, states) of each literal group of two or more case states."""
    groups = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            names = set()
            for elt in node.elts:
                if isinstance(elt, ast.Constant) and elt.value in STATES:
                    names.add(elt.value)
                elif isinstance(elt, ast.Attribute) and elt.attr in STATES:
                    names.add(elt.attr)
                else:
                    names = set()
                    break
            if len(names) >= 2:
                groups.append((node.lineno, names))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            for listed in SQL_GROUP.findall(node.value):
                groups.append((node.lineno, set(re.findall(r"'(\w+)'", listed))))
        elif (
            isinstance(node, ast.Assign)
            and any(
                isinstance(t, ast.Name) and re.search("OPEN|CLOSED", t.id) for t in node.targets
            )
            and literal(node.value)
        ):
            groups.append((node.lineno, {"open"}))
    return groups


def main() -> int:
    sql, groups, opened, stores, inserts = [], [], [], [], []
    for path in modules():
        rel = path.relative_to(ROOT).as_posix()
        source = path.read_text()
        if SQL_CALL.search(source):
            sql.append(rel)
        tree = ast.parse(source)
        for line, names in state_groups(tree):
            where = f"{rel}:{line}"
            if rel.startswith("services/domain/") or names == STATES:
                continue  # the core's definitions; a list of every state is the enum itself
            if where not in groups:
                groups.append(where)
            if names in (CLOSED, STATES - CLOSED, {"open"}) and where not in opened:
                opened.append(where)
        if re.search(r"INSERT INTO case_file", source):
            inserts.append(rel)
        case_class = re.search(r"^@dataclass.*\nclass (\w*Case|CaseRow)\b", source, re.M)
        if case_class and "FROM case_file" in source:
            stores.append(rel)
    domain = (ROOT / "services/domain/states.py").read_text()
    opened += (
        []
        if any(o.startswith("services/domain/") for o in opened)
        else ["services/domain/states.py"] * ("OPEN_STATES" in domain)
    )
    print(
        json.dumps(
            {
                "sql_modules": len(sql),
                "sql_modules_outside_store": len([m for m in sql if not m.startswith(STORE)]),
                "open_defined": len(opened),
                "state_groups_outside_domain": len(groups),
                "case_stores": len(stores),
                "registration_paths": len(inserts),
                "where": {
                    "sql_modules": sql,
                    "open_defined": opened,
                    "state_groups": groups,
                    "case_stores": stores,
                    "registration_paths": inserts,
                },
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
