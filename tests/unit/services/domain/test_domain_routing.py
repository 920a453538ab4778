"""Routing: most specific jurisdiction wins, fallback to the operator queue, admission lists."""

import random

import pytest

from services.domain.routing import (
    Department,
    InvalidRule,
    NotAdmitted,
    RoutingRule,
    check_rule_admissible,
    eligible_departments,
    resolve_route,
)

DISTRICT = "330211"
STREET = "330211001"
COMMUNITY = "330211001002"
CELL = "330211001002015"
OTHER_CELL = "330211002001003"

DEPARTMENTS = {
    d.code: d
    for d in [
        Department("SAN-D", "District sanitation", "sanitation", DISTRICT),
        Department("SAN-S", "Street sanitation team", "sanitation", STREET),
        Department("ROAD", "Municipal roads", "municipal_roads", DISTRICT),
        Department("STREET-OFFICE", "Zhuangshi street office", "street_office", STREET),
        Department(
            "COMM-2",
            "Community committee 002",
            "community_committee",
            COMMUNITY,
            admitted_categories=frozenset({"neighbour_dispute"}),
        ),
        Department("OPS", "District command center", "operator_queue", DISTRICT),
        Department("OLD", "Dissolved bureau", "greening", DISTRICT, active=False),
    ]
}


def route(rules, category, cell=CELL, departments=DEPARTMENTS):
    return resolve_route(rules, departments, category, cell, DISTRICT)


def test_most_specific_jurisdiction_wins():
    rules = [
        RoutingRule("garbage", DISTRICT, "SAN-D"),
        RoutingRule("garbage", STREET, "SAN-S"),
        RoutingRule(None, DISTRICT, "ROAD"),
    ]
    decision = route(rules, "garbage")
    assert (decision.department_code, decision.fallback) == ("SAN-S", False)
    assert decision.rule == rules[1]
    assert "street 330211001" in decision.reason
    # A cell in another street only matches the district rule.
    assert route(rules, "garbage", OTHER_CELL).department_code == "SAN-D"


def test_category_rule_beats_catch_all_at_same_level_but_not_a_deeper_catch_all():
    rules = [RoutingRule(None, STREET, "STREET-OFFICE"), RoutingRule("garbage", STREET, "SAN-S")]
    assert route(rules, "garbage").department_code == "SAN-S"
    assert route(rules, "pothole").department_code == "STREET-OFFICE"
    rules.append(RoutingRule(None, CELL, "SAN-D"))
    assert route(rules, "garbage").department_code == "SAN-D"


def test_priority_then_department_code_break_ties_whatever_the_input_order():
    rules = [
        RoutingRule("garbage", STREET, "SAN-S"),
        RoutingRule("garbage", STREET, "SAN-D"),
        RoutingRule("pothole", STREET, "ROAD", priority=0),
        RoutingRule("pothole", STREET, "STREET-OFFICE", priority=5),
    ]
    for seed in range(10):
        shuffled = rules[:]
        random.Random(seed).shuffle(shuffled)
        assert route(shuffled, "garbage").department_code == "SAN-D"
        assert route(shuffled, "pothole").department_code == "STREET-OFFICE"


def test_no_matching_rule_falls_back_to_district_operator_queue():
    decision = route([RoutingRule("garbage", STREET, "SAN-S")], "pothole")
    assert (decision.department_code, decision.rule, decision.fallback) == ("OPS", None, True)
    assert "fallback" in decision.reason and "OPS" in decision.reason


def test_outside_every_cell_falls_back_even_when_a_district_rule_exists():
    decision = route([RoutingRule(None, DISTRICT, "ROAD")], "garbage", cell=None)
    assert (decision.department_code, decision.fallback) == ("OPS", True)
    assert "outside every cell" in decision.reason


def test_fallback_without_operator_queue_leaves_department_empty():
    departments = {k: v for k, v in DEPARTMENTS.items() if k != "OPS"}
    decision = route([], "garbage", departments=departments)
    assert (decision.department_code, decision.fallback) == (None, True)


def test_unknown_and_inactive_departments_are_skipped_with_reason():
    rules = [
        RoutingRule("garbage", CELL, "GHOST"),
        RoutingRule("garbage", COMMUNITY, "OLD"),
        RoutingRule("garbage", DISTRICT, "SAN-D"),
    ]
    decision = route(rules, "garbage")
    assert decision.department_code == "SAN-D"
    assert len(decision.skipped) == 2
    assert "GHOST" in decision.skipped[0] and "unknown" in decision.skipped[0]
    assert "inactive" in decision.skipped[1]


def test_admission_list_refuses_rules_when_saved():
    committee = DEPARTMENTS["COMM-2"]
    check_rule_admissible(RoutingRule("neighbour_dispute", COMMUNITY, "COMM-2"), committee)
    with pytest.raises(NotAdmitted) as info:
        check_rule_admissible(RoutingRule("garbage", COMMUNITY, "COMM-2"), committee)
    assert (info.value.category, info.value.department) == ("garbage", committee)
    with pytest.raises(NotAdmitted) as info:
        check_rule_admissible(RoutingRule(None, COMMUNITY, "COMM-2"), committee)
    assert info.value.category is None and "catch-all" in str(info.value)
    # The admission list binds committees only.
    check_rule_admissible(RoutingRule(None, DISTRICT, "SAN-D"), DEPARTMENTS["SAN-D"])


def test_router_never_hands_a_non_admitted_category_to_a_committee_even_if_tampered():
    tampered = [
        RoutingRule("garbage", CELL, "COMM-2"),
        RoutingRule(None, COMMUNITY, "COMM-2"),
        RoutingRule("neighbour_dispute", COMMUNITY, "COMM-2"),
        RoutingRule("garbage", STREET, "SAN-S"),
    ]
    decision = route(tampered, "garbage")
    assert decision.department_code == "SAN-S"
    assert len(decision.skipped) == 2
    assert all("refused" in s and "COMM-2" in s for s in decision.skipped)
    assert "skipped 2" in decision.reason
    # The admitted category still reaches the committee, even past the tampered catch-all.
    assert route(tampered, "neighbour_dispute").department_code == "COMM-2"


def test_tampered_rules_only_lead_to_fallback():
    decision = route([RoutingRule("garbage", COMMUNITY, "COMM-2")], "garbage")
    assert (decision.department_code, decision.fallback) == ("OPS", True)
    assert "refused" in decision.reason


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("garbage", "33021", "SAN-D"), "jurisdiction_code"),
        (("garbage", "3302110010", "SAN-D"), "jurisdiction_code"),
        (("garbage", "33021100100a", "SAN-D"), "jurisdiction_code"),
        (("garbage", DISTRICT, ""), "department_code"),
        (("", DISTRICT, "SAN-D"), "category_code"),
    ],
)
def test_malformed_rules_are_refused(args, field):
    with pytest.raises(InvalidRule) as info:
        RoutingRule(*args)
    assert info.value.field == field


def test_the_departments_a_case_may_be_dispatched_to_by_hand():
    def codes(category, place):
        return [d.code for d in eligible_departments(DEPARTMENTS.values(), category, place)]

    # Most local first; no operator queue, no inactive department; the committee only for a
    # category on its admission list.
    assert codes("litter", CELL) == ["SAN-S", "STREET-OFFICE", "ROAD", "SAN-D"]
    assert codes("neighbour_dispute", CELL) == [
        "COMM-2", "SAN-S", "STREET-OFFICE", "ROAD", "SAN-D"
    ]  # fmt: skip
    assert codes("neighbour_dispute", OTHER_CELL) == ["ROAD", "SAN-D"]  # another street
    assert codes("litter", None) == []  # a case with no place
