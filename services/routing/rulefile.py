"""Reading department and routing-rule files (YAML or CSV) for `gridflow rules import`, and
the demo seed (`load_demo_rules`).

YAML:

    note: "2025 routing"            # optional, stored on the ruleset version
    departments:                     # created or updated
      - {code: sanitation, name_zh: 区环卫处, name_en: Sanitation, kind: department,
         jurisdiction_code: "330211"}
      - {code: c-001001, name_zh: 第1社区居委会, kind: community_committee,
         jurisdiction_code: "330211001001", admitted_categories: ["201001", "206003"]}
    rules:                           # the complete new ruleset (omit to keep the rules)
      - {category: "201001", jurisdiction: "330211", department: sanitation}
      - {category: null, jurisdiction: "330211", department: center, priority: -1}

CSV: a file of rules has the header `category_code,jurisdiction_code,department_code,priority`
(`*` or empty category = any); a file of departments has `code,name_zh,name_en,kind,
jurisdiction_code,admitted_categories` (categories separated by `;` or spaces).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine

from services.cases.errors import InvalidCommand
from services.cases.uow import UnitOfWork
from services.routing.rules import import_ruleset
from services.routing.specs import DepartmentSpec, ImportOutcome, Ruleset, RuleSpec

DEMO_FILE = Path(__file__).with_name("demo_rules.yaml")
RULE_HEADER = {"category_code", "jurisdiction_code", "department_code"}
DEPARTMENT_HEADER = {"code", "name_zh", "kind", "jurisdiction_code"}


def read_ruleset(path: str | Path) -> Ruleset:
    """Parses a YAML (.yaml/.yml) or CSV (.csv) file; raises `InvalidCommand` naming the entry
    (e.g. `rules[3].jurisdiction`) that is malformed."""
    path = Path(path)
    body = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        return parse_csv(body)
    if path.suffix.lower() in (".yaml", ".yml"):
        return parse_yaml(body)
    raise InvalidCommand("file", f"{path.name}: use a .yaml, .yml or .csv file")


def parse_yaml(body: str) -> Ruleset:
    """A ruleset from YAML text (see the module text)."""
    try:
        data = yaml.safe_load(body)
    except yaml.YAMLError as exc:
        raise InvalidCommand("file", f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidCommand("file", "the YAML must be a mapping with departments and/or rules")
    unknown = set(data) - {"departments", "rules", "note"}
    if unknown:
        raise InvalidCommand(sorted(unknown)[0], "unknown section")
    departments = tuple(
        department_spec(entry, f"departments[{i}]")
        for i, entry in enumerate(_list(data, "departments"))
    )
    rules = None
    if "rules" in data:
        rules = tuple(rule_spec(e, f"rules[{i}]") for i, e in enumerate(_list(data, "rules")))
    note = data.get("note")
    return Ruleset(departments, rules, str(note) if note is not None else None)


def parse_csv(body: str) -> Ruleset:
    """A ruleset from CSV text: rules or departments, told apart by the header."""
    reader = csv.DictReader(io.StringIO(body))
    header = {h.strip() for h in reader.fieldnames or ()}
    rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]
    if RULE_HEADER <= header:
        return Ruleset(rules=tuple(rule_spec(r, f"rules[{i}]") for i, r in enumerate(rows)))
    if DEPARTMENT_HEADER <= header:
        specs = []
        for i, row in enumerate(rows):
            row["admitted_categories"] = (
                row.get("admitted_categories", "").replace(";", " ").split()
            )
            specs.append(department_spec(row, f"departments[{i}]"))
        return Ruleset(departments=tuple(specs))
    raise InvalidCommand(
        "file",
        "CSV header must hold category_code,jurisdiction_code,department_code[,priority] "
        "or code,name_zh,name_en,kind,jurisdiction_code[,admitted_categories]",
    )


def rule_spec(entry: Any, where: str) -> RuleSpec:
    """One rule from a mapping with category(_code), jurisdiction(_code), department(_code),
    priority; `*`, empty or null category = any category."""
    if not isinstance(entry, dict):
        raise InvalidCommand(where, "must be a mapping")
    category = _pick(entry, "category_code", "category")
    if category in (None, "", "*"):
        category = None
    priority = entry.get("priority", 0)
    if priority in (None, ""):
        priority = 0
    try:
        priority = int(priority)
    except (TypeError, ValueError):
        raise InvalidCommand(f"{where}.priority", "must be an integer") from None
    jurisdiction = _pick(entry, "jurisdiction_code", "jurisdiction")
    department = _pick(entry, "department_code", "department")
    if not jurisdiction:
        raise InvalidCommand(f"{where}.jurisdiction_code", "required")
    if not department:
        raise InvalidCommand(f"{where}.department_code", "required")
    return RuleSpec(
        None if category is None else str(category), str(jurisdiction), str(department), priority
    )


def department_spec(entry: Any, where: str) -> DepartmentSpec:
    """One department from a mapping (see the module text)."""
    if not isinstance(entry, dict):
        raise InvalidCommand(where, "must be a mapping")
    for name in ("code", "name_zh", "kind", "jurisdiction_code"):
        if entry.get(name) in (None, ""):
            raise InvalidCommand(f"{where}.{name}", "required")
    admitted = entry.get("admitted_categories") or []
    if not isinstance(admitted, list | tuple):
        raise InvalidCommand(f"{where}.admitted_categories", "must be a list of category codes")
    active = entry.get("active", True)
    if isinstance(active, str):
        active = active.strip().lower() not in ("0", "false", "no", "off")
    return DepartmentSpec(
        code=str(entry["code"]),
        name_zh=str(entry["name_zh"]),
        name_en=str(entry.get("name_en") or ""),
        kind=str(entry["kind"]),
        jurisdiction_code=str(entry["jurisdiction_code"]),
        admitted_categories=tuple(str(c) for c in admitted),
        active=bool(active),
    )


def import_file(engine: Engine, path: str | Path, *, actor: str) -> ImportOutcome:
    """Reads and applies a rules file in one transaction (see services.routing.rules)."""
    ruleset = read_ruleset(path)
    with UnitOfWork(engine) as uow:
        outcome = import_ruleset(uow, ruleset, actor=actor, source=f"file:{Path(path).name}")
        uow.commit()
    return outcome


def load_demo_rules(engine: Engine, *, actor: str = "demo") -> ImportOutcome:
    """Seeds the demo departments and a routing rule for every category (demo_rules.yaml)."""
    return import_file(engine, DEMO_FILE, actor=actor)


def _list(data: dict, name: str) -> Iterable[Any]:
    value = data.get(name) or []
    if not isinstance(value, list):
        raise InvalidCommand(name, "must be a list")
    return value


def _pick(entry: dict, *names: str) -> Any:
    for name in names:
        if name in entry:
            return entry[name]
    return None
