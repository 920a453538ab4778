"""ReferenceData.route: the rules kept by jurisdiction and category give the decisions the
routing function gives over every rule (only the rules whose jurisdiction contains the cell,
of the case's category or of every category, can apply)."""

from __future__ import annotations

import itertools

import pytest

from services.calendars import calendars_from_config
from services.cases.reference import CategoryTerms, ReferenceCache, ReferenceData, rules_by_place
from services.config import Config
from services.domain.routing import Department, RoutingRule, resolve_route

DISTRICT = "330211"
DEPARTMENTS = {
    d.code: d
    for d in (
        Department("sanitation", "环卫", "department", DISTRICT),
        Department("roads", "市政", "department", DISTRICT),
        Department("street-7", "街道", "street_office", "330211007"),
        Department(
            "community-7-1",
            "社区",
            "community_committee",
            "330211007001",
            admitted_categories=frozenset({"201001"}),
        ),  # fmt: skip
        Department("property-1", "物业", "property_company", "330211007001001"),
        Department("ops", "指挥中心", "operator_queue", DISTRICT),
        Department("old", "撤销", "department", DISTRICT, active=False),
    )
}
RULES = [
    RoutingRule("201001", DISTRICT, "sanitation"),
    RoutingRule(None, DISTRICT, "roads"),
    RoutingRule("201001", "330211007", "street-7"),
    RoutingRule("201001", "330211007001", "community-7-1"),
    RoutingRule("203001", "330211007001", "community-7-1", priority=5),  # not admitted
    RoutingRule("201001", "330211007001001", "property-1"),
    RoutingRule("102002", "330211008", "old"),
    RoutingRule("102002", "330211008001", "sanitation"),
]


def reference(rules) -> ReferenceData:
    return ReferenceData(
        fingerprint=(1,), ruleset_version=1,
        terms={"201001": CategoryTerms("normal", 30, 480, False, 50, 480)},
        departments=DEPARTMENTS, calendars=calendars_from_config(Config(env="test")),
        rules_by_place=rules_by_place(rules),
    )  # fmt: skip


CELLS = ["330211007001001", "330211007001002", "330211007002001", "330211008001001",
         "330211008002001", "330211009001001", None]  # fmt: skip
CATEGORIES = ["201001", "203001", "102002", "999999"]


@pytest.mark.parametrize(("cell", "category"), list(itertools.product(CELLS, CATEGORIES)))
def test_routing_by_jurisdiction_equals_routing_over_every_rule(cell, category):
    data = reference(RULES)
    expected = resolve_route(RULES, DEPARTMENTS, category, cell, DISTRICT)
    assert data.route(category, cell, DISTRICT) == expected


def test_the_decisions_follow_the_most_specific_admissible_rule():
    data = reference(RULES)
    assert data.route("201001", "330211007001001", DISTRICT).department_code == "property-1"
    assert data.route("201001", "330211007001002", DISTRICT).department_code == "community-7-1"
    refused = data.route("203001", "330211007001002", DISTRICT)
    assert refused.department_code == "roads" and "admission list" in refused.reason
    held = data.route("201001", None, DISTRICT)
    assert held.fallback and held.department_code == "ops"


def test_a_cache_needs_a_config_or_fixed_calendars():
    with pytest.raises(ValueError):
        ReferenceCache()
