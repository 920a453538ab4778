"""Reading rule files (YAML, CSV) without a database; the demo file covers every category."""

from __future__ import annotations

import pytest

from services.cases.errors import InvalidCommand
from services.domain.routing import RoutingRule, check_rule_admissible, resolve_route
from services.routing.rulefile import DEMO_FILE, parse_csv, parse_yaml, read_ruleset
from services.routing.specs import DepartmentSpec, RuleSpec
from services.store.catalog import catalog_rows


def test_yaml_departments_and_rules():
    ruleset = parse_yaml(
        "note: spring\n"
        "departments:\n"
        "  - {code: c1, name_zh: 居委会, kind: community_committee,\n"
        "     jurisdiction_code: '330211007001', admitted_categories: ['206003']}\n"
        "rules:\n"
        "  - {category: '206003', jurisdiction: '330211007001', department: c1, priority: 2}\n"
        "  - {category: '*', jurisdiction: '330211', department: center}\n"
    )
    assert ruleset.note == "spring"
    assert ruleset.departments == (
        DepartmentSpec("c1", "居委会", "community_committee", "330211007001", "", ("206003",)),
    )
    assert ruleset.rules == (
        RuleSpec("206003", "330211007001", "c1", 2),
        RuleSpec(None, "330211", "center", 0),
    )


def test_yaml_without_rules_keeps_the_rules():
    assert parse_yaml("departments: []\n").rules is None


def test_csv_rules_and_departments_are_told_apart_by_the_header():
    rules = parse_csv(
        "category_code,jurisdiction_code,department_code,priority\n"
        "201001,330211,sanitation,\n*,330211,center,-1\n"
    )
    assert rules.rules == (
        RuleSpec("201001", "330211", "sanitation", 0),
        RuleSpec(None, "330211", "center", -1),
    )
    departments = parse_csv(
        "code,name_zh,name_en,kind,jurisdiction_code,admitted_categories\n"
        "c1,居委会,Committee,community_committee,330211007001,206003;206004\n"
    )
    assert departments.departments[0].admitted_categories == ("206003", "206004")
    assert departments.rules is None


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("rules:\n  - {category: '201001', department: x}\n", "rules[0].jurisdiction_code"),
        ("rules:\n  - {category: '201001', jurisdiction: '330211'}\n", "rules[0].department_code"),
        (
            "rules:\n  - {jurisdiction: '330211', department: x, priority: high}\n",
            "rules[0].priority",
        ),
        ("departments:\n  - {code: x, kind: department}\n", "departments[0].name_zh"),
        ("rules: {a: 1}\n", "rules"),
        ("colour: red\n", "colour"),
        ("- just a list\n", "file"),
        ("rules: [\n", "file"),
    ],
)
def test_malformed_yaml_names_the_entry(text, field):
    with pytest.raises(InvalidCommand) as caught:
        parse_yaml(text)
    assert caught.value.field == field


def test_an_unknown_csv_header_or_suffix_is_refused(tmp_path):
    with pytest.raises(InvalidCommand, match="CSV header"):
        parse_csv("a,b,c\n1,2,3\n")
    path = tmp_path / "rules.txt"
    path.write_text("x")
    with pytest.raises(InvalidCommand, match="use a .yaml"):
        read_ruleset(path)


def test_the_demo_routes_every_category_and_respects_the_admission_lists():
    ruleset = read_ruleset(DEMO_FILE)
    departments = {d.code: d.as_domain() for d in ruleset.departments}
    rules = [
        RoutingRule(r.category_code, r.jurisdiction_code, r.department_code, r.priority)
        for r in ruleset.rules
    ]
    admissible = {row["code"] for row in catalog_rows() if row["community_admissible"]}
    for department in departments.values():
        assert set(department.admitted_categories) <= admissible
    for rule in rules:
        check_rule_admissible(rule, departments[rule.department_code])
    kinds = {d.kind for d in departments.values()}
    assert len(departments) >= 10 and "community_committee" in kinds
    for row in catalog_rows():
        decision = resolve_route(rules, departments, row["code"], "330211009001001", "330211")
        assert not decision.fallback, row["code"]
