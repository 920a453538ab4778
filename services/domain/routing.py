"""Routing rules: which department gets a case, decided by a pure function over data.

A `RoutingRule` says "cases of this category (or any category) inside this jurisdiction go to
this department". `resolve_route` picks, for a case's category and grid cell, the rule whose
jurisdiction is the most specific prefix of the cell's 15-digit code (cell 15 > community 12 >
street 9 > district 6); at the same level a category-specific rule beats a catch-all; then the
higher `priority`; then the smaller department code (so the answer never depends on the order
of the input). When nothing applies, or the case lies outside every cell, the case falls back
to the district's operator queue (see `resolve_route`).

Admission (准入): a community committee only receives categories on its admission list.
`check_rule_admissible` refuses such a rule when it is saved; `resolve_route` skips it anyway if
the data was changed behind the application's back. Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

COMMUNITY_COMMITTEE = "community_committee"
OPERATOR_QUEUE = "operator_queue"
LEVELS = {6: "district", 9: "street", 12: "community", 15: "cell"}


class InvalidRule(ValueError):
    """A routing rule is malformed (e.g. a jurisdiction code of the wrong length). `.field`
    names the offending attribute."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class NotAdmitted(Exception):
    """A rule would hand a category to a community committee whose admission list lacks it
    (`category` None means a catch-all rule, which a committee can never take)."""

    def __init__(self, category: str | None, department: Department) -> None:
        self.category = category
        self.department = department
        what = f"category {category}" if category else "every category (catch-all rule)"
        super().__init__(
            f"community committee {department.code} may not receive {what}: "
            "not on its admission list"
        )


@dataclass(frozen=True)
class Department:
    """A body that handles cases: a department, a street office, a community committee, or an
    operator queue of the command center. `admitted_categories` matters for committees only."""

    code: str
    name: str
    kind: str
    jurisdiction_code: str
    admitted_categories: frozenset[str] = field(default_factory=frozenset)
    active: bool = True

    @property
    def is_community_committee(self) -> bool:
        """True when the admission list applies to this department."""
        return self.kind == COMMUNITY_COMMITTEE


@dataclass(frozen=True)
class RoutingRule:
    """Cases of `category_code` (None = any category) inside `jurisdiction_code` (district 6
    digits, street 9, community 12 or cell 15) go to `department_code`. Raises `InvalidRule`
    when built with a malformed code."""

    category_code: str | None
    jurisdiction_code: str
    department_code: str
    priority: int = 0

    def __post_init__(self) -> None:
        code = self.jurisdiction_code
        if not isinstance(code, str) or not code.isdigit() or len(code) not in LEVELS:
            raise InvalidRule("jurisdiction_code", "must be 6, 9, 12 or 15 digits")
        if not self.department_code:
            raise InvalidRule("department_code", "required")
        if self.category_code == "":
            raise InvalidRule("category_code", "use None for a rule that applies to any category")

    @property
    def level(self) -> str:
        """The level of the jurisdiction: district, street, community or cell."""
        return LEVELS[len(self.jurisdiction_code)]

    def describe(self) -> str:
        """A short human label used in `RouteDecision.reason`."""
        category = self.category_code or "any category"
        return f"{category} in {self.level} {self.jurisdiction_code} → {self.department_code}"


@dataclass(frozen=True)
class RouteDecision:
    """The outcome of `resolve_route`. `fallback` is True when no rule applied; then
    `department_code` is the district's operator queue, or None when the district has none
    (the case waits for an operator in the district's unassigned list). `skipped` lists the
    rules passed over and why."""

    department_code: str | None
    rule: RoutingRule | None
    fallback: bool
    reason: str
    skipped: tuple[str, ...] = ()


def check_rule_admissible(rule: RoutingRule, department: Department) -> None:
    """Called before a rule is saved, and by `resolve_route` on every candidate. Returns None
    when the rule may exist; raises `NotAdmitted` when it would route a category that is not on
    a community committee's admission list, or any catch-all rule to a committee."""
    if department.is_community_committee and (
        rule.category_code is None or rule.category_code not in department.admitted_categories
    ):
        raise NotAdmitted(rule.category_code, department)


def serves(department: Department, place_code: str | None) -> bool:
    """Whether `department` may receive a case placed at `place_code` (the case's most specific
    code: cell, else community, street or district): its jurisdiction must cover that place.
    A case with no place at all is served by no department chosen by hand."""
    return place_code is not None and place_code.startswith(department.jurisdiction_code)


def eligible_departments(
    departments: Iterable[Department], category_code: str, place_code: str | None
) -> list[Department]:
    """The departments an operator may dispatch a case of `category_code` placed at
    `place_code` to by hand (what `checked_department` accepts): active, not an operator queue,
    serving the place, and a community committee only with the category on its admission list.
    The most local first, then by code."""
    chosen = []
    for department in departments:
        if not department.active or department.kind == OPERATOR_QUEUE:
            continue
        if not serves(department, place_code):
            continue
        try:
            check_rule_admissible(RoutingRule(category_code, department.jurisdiction_code,
                                              department.code), department)  # fmt: skip
        except NotAdmitted:
            continue
        chosen.append(department)
    return sorted(chosen, key=lambda d: (-len(d.jurisdiction_code), d.code))


def _specificity(rule: RoutingRule) -> tuple:
    # Sorted ascending: longest jurisdiction, then category-specific, then highest priority,
    # then department code and jurisdiction code as the deterministic tie-break.
    return (
        -len(rule.jurisdiction_code),
        rule.category_code is None,
        -rule.priority,
        rule.department_code,
        rule.jurisdiction_code,
    )


def candidate_rules(
    rules: Iterable[RoutingRule], category_code: str, cell_code: str
) -> list[RoutingRule]:
    """The rules that could apply to a case of `category_code` in `cell_code`, best first:
    the jurisdiction is a prefix of the cell code and the category matches or is None."""
    matching = [
        r
        for r in rules
        if cell_code.startswith(r.jurisdiction_code)
        and (r.category_code is None or r.category_code == category_code)
    ]
    return sorted(matching, key=_specificity)


def operator_queue(departments: Iterable[Department], district_code: str) -> Department | None:
    """The active operator queue whose jurisdiction is `district_code` (smallest code if a
    district has several), or None."""
    queues = [
        d
        for d in departments
        if d.kind == OPERATOR_QUEUE and d.active and d.jurisdiction_code == district_code
    ]
    return min(queues, key=lambda d: d.code) if queues else None


def resolve_route(
    rules: Iterable[RoutingRule],
    departments_by_code: Mapping[str, Department],
    category_code: str,
    cell_code: str | None,
    district_code: str,
) -> RouteDecision:
    """Chooses the department for a case of `category_code` located in `cell_code` (None when
    the point lies outside every cell) within `district_code`.

    Called at registration/dispatch time with all rules of the district. Guarantees: the same
    inputs in any order give the same decision; a community committee never receives a
    category missing from its admission list, even if such a rule is in the data; rules naming
    an unknown or inactive department are skipped; when no rule applies the decision is a
    fallback to the district's active operator queue (`department_code` None if it has none).
    Every skipped rule and the reason for the choice are spelt out in `reason`/`skipped`.
    """
    skipped: list[str] = []
    if cell_code is not None:
        for rule in candidate_rules(rules, category_code, cell_code):
            department = departments_by_code.get(rule.department_code)
            if department is None or not department.active:
                state = "unknown" if department is None else "inactive"
                skipped.append(f"{rule.describe()}: department {state}")
                continue
            try:
                check_rule_admissible(rule, department)
            except NotAdmitted as refusal:
                skipped.append(f"{rule.describe()}: refused, {refusal}")
                continue
            reason = f"rule {rule.describe()} (most specific match for cell {cell_code})"
            if skipped:
                reason += f"; skipped {len(skipped)}: " + "; ".join(skipped)
            return RouteDecision(department.code, rule, False, reason, tuple(skipped))
    queue = operator_queue(departments_by_code.values(), district_code)
    where = "outside every cell" if cell_code is None else f"no usable rule for cell {cell_code}"
    target = f"operator queue {queue.code}" if queue else "the district's unassigned list"
    reason = f"fallback to {target} of district {district_code}: {where}, category {category_code}"
    if skipped:
        reason += f"; skipped {len(skipped)}: " + "; ".join(skipped)
    return RouteDecision(queue.code if queue else None, None, True, reason, tuple(skipped))


def candidate_outcomes(
    rules: Iterable[RoutingRule],
    departments_by_code: Mapping[str, Department],
    category_code: str,
    cell_code: str,
) -> list[tuple[RoutingRule, str]]:
    """Every rule that could apply to a case of `category_code` in `cell_code`, best first,
    with what `resolve_route` makes of it: `unknown`, `inactive` or `not_admitted` (passed
    over), `chosen` (the first usable one), `outranked` (usable, behind the chosen one). The
    admin's "which department would get a report here?" shows this; it never decides."""
    outcomes: list[tuple[RoutingRule, str]] = []
    chosen = False
    for rule in candidate_rules(rules, category_code, cell_code):
        department = departments_by_code.get(rule.department_code)
        if department is None or not department.active:
            outcomes.append((rule, "unknown" if department is None else "inactive"))
            continue
        try:
            check_rule_admissible(rule, department)
        except NotAdmitted:
            outcomes.append((rule, "not_admitted"))
            continue
        outcomes.append((rule, "outranked" if chosen else "chosen"))
        chosen = True
    return outcomes
