"""What an admin enters about departments and routing rules, and its validation: a
department's and a rule's specs, an import file's ruleset and what importing it saved, the
checks that name the field a value breaks, and the refusal of a change the admission list
(准入) forbids. The commands that store them are services.routing.rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.cases.errors import CaseError, InvalidCommand, UnknownDepartment
from services.domain.routing import COMMUNITY_COMMITTEE, Department, InvalidRule, RoutingRule

KINDS = (
    "department",
    "street_office",
    COMMUNITY_COMMITTEE,
    "property_company",
    "operator_queue",
)
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_JURISDICTION = re.compile(r"^[0-9]{6}([0-9]{3}){0,3}$")


class Refused(CaseError):
    """The change breaks the admission list (准入); it was refused and the refusal audited."""

    def __init__(self, field: str, message: str, audit_id: int) -> None:
        super().__init__(field, message)
        self.audit_id = audit_id


@dataclass(frozen=True)
class DepartmentSpec:
    """A department as an admin enters it."""

    code: str
    name_zh: str
    kind: str
    jurisdiction_code: str
    name_en: str = ""
    admitted_categories: tuple[str, ...] = ()
    active: bool = True

    def as_row(self) -> dict:
        return {
            "code": self.code,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "kind": self.kind,
            "jurisdiction_code": self.jurisdiction_code,
            "admitted_categories": sorted(set(self.admitted_categories)),
            "active": self.active,
        }

    def as_domain(self) -> Department:
        return Department(
            code=self.code,
            name=self.name_zh,
            kind=self.kind,
            jurisdiction_code=self.jurisdiction_code,
            admitted_categories=frozenset(self.admitted_categories),
            active=self.active,
        )


@dataclass(frozen=True)
class RuleSpec:
    """A routing rule as an admin enters it (`category_code` None = any category)."""

    category_code: str | None
    jurisdiction_code: str
    department_code: str
    priority: int = 0


@dataclass(frozen=True)
class Ruleset:
    """What an import file holds: departments to create or update, then the complete rules."""

    departments: tuple[DepartmentSpec, ...] = ()
    rules: tuple[RuleSpec, ...] | None = None
    note: str | None = None


@dataclass
class ImportOutcome:
    """What an import saved: department codes, the new ruleset version and its rule count."""

    departments: list[str] = field(default_factory=list)
    version: int | None = None
    rules: int = 0


def spec_of(rule: RoutingRule) -> RuleSpec:
    """The spec an admin would enter for `rule`."""
    return RuleSpec(rule.category_code, rule.jurisdiction_code, rule.department_code, rule.priority)


def check_department(spec: DepartmentSpec, categories: dict[str, bool], where: str) -> None:
    """Raises `InvalidCommand` naming the field (under `where`) of `spec` that is malformed or
    names an unknown category (`categories`: code → may go to a community committee)."""

    def bad(name: str, message: str) -> InvalidCommand:
        return InvalidCommand(f"{where}.{name}" if where else name, message)

    if not isinstance(spec.code, str) or not _CODE.match(spec.code):
        raise bad("code", "1–64 letters, digits, '.', '_' or '-'")
    if not spec.name_zh or not spec.name_zh.strip():
        raise bad("name_zh", "required")
    if spec.kind not in KINDS:
        raise bad("kind", f"one of {', '.join(KINDS)}")
    if not isinstance(spec.jurisdiction_code, str) or not _JURISDICTION.match(
        spec.jurisdiction_code
    ):
        raise bad("jurisdiction_code", "6, 9, 12 or 15 digits")
    for category in spec.admitted_categories:
        if category not in categories:
            raise bad("admitted_categories", f"unknown category {category!r}")
        if not categories[category]:
            raise bad(
                "admitted_categories",
                f"category {category} may not be handed to community committees (catalog)",
            )
    if spec.admitted_categories and spec.kind != COMMUNITY_COMMITTEE:
        raise bad("admitted_categories", "only community committees have an admission list")


def domain_rule(
    spec: RuleSpec, where: str, by_code: dict[str, Department], categories: dict[str, bool]
) -> RoutingRule:
    """`spec` as the domain's rule; raises `InvalidCommand` or `UnknownDepartment` naming the
    field (under `where`) it breaks."""
    if spec.category_code is not None and spec.category_code not in categories:
        raise InvalidCommand(f"{where}category_code", f"unknown category {spec.category_code!r}")
    if isinstance(spec.priority, bool) or not isinstance(spec.priority, int):
        raise InvalidCommand(f"{where}priority", "must be an integer")
    try:
        rule = RoutingRule(
            spec.category_code, spec.jurisdiction_code, spec.department_code, spec.priority
        )
    except InvalidRule as exc:
        raise InvalidCommand(f"{where}{exc.field}", str(exc).split(": ", 1)[-1]) from None
    department = by_code.get(rule.department_code)
    if department is None:
        raise UnknownDepartment(
            f"{where}department_code", f"no department {rule.department_code!r}"
        )
    return rule
