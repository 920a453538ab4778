"""The rule preview's reading of the candidates agrees with resolve_route: the chosen one is
the rule that decides, and every rule passed over says why."""

from services.domain.routing import (
    Department,
    RoutingRule,
    candidate_outcomes,
    resolve_route,
)

CELL = "330211001002015"
DEPARTMENTS = {
    d.code: d
    for d in (
        Department("sanitation", "环卫", "department", "330211"),
        Department("old-roads", "旧市政", "department", "330211", active=False),
        Department(
            "committee", "社区居委会", "community_committee", "330211001002", frozenset({"104001"})
        ),  # fmt: skip
        Department("street", "街道办", "street_office", "330211001"),
    )
}


def test_outcomes_follow_specificity_and_name_what_was_passed_over():
    rules = [
        RoutingRule(None, "330211", "sanitation"),
        RoutingRule("201001", "330211001", "street"),
        RoutingRule("201001", "330211001002", "committee"),  # not on its admission list
        RoutingRule("201001", CELL, "old-roads"),  # inactive
        RoutingRule("201001", "330211001", "gone"),  # unknown, priority below
    ]
    outcomes = candidate_outcomes(rules, DEPARTMENTS, "201001", CELL)
    assert [(r.department_code, o) for r, o in outcomes] == [
        ("old-roads", "inactive"),
        ("committee", "not_admitted"),
        ("gone", "unknown"),
        ("street", "chosen"),
        ("sanitation", "outranked"),
    ]
    decision = resolve_route(rules, DEPARTMENTS, "201001", CELL, "330211")
    assert decision.rule == next(r for r, o in outcomes if o == "chosen")


def test_no_usable_rule_has_no_chosen_candidate():
    rules = [RoutingRule("201001", CELL, "old-roads")]
    assert candidate_outcomes(rules, DEPARTMENTS, "201001", CELL) == [(rules[0], "inactive")]
    assert candidate_outcomes(rules, DEPARTMENTS, "104001", CELL) == []
