"""Department and routing-rule administration: the handlers behind the admin API and
`gridflow rules import` (what they take, and its checks, are services.routing.specs).

Every change is validated in full before anything is written, serialised with every other
rule change, audited, and versioned (a rule change stores a complete new ruleset version).
A change that would hand a community committee a category missing from its admission list
(准入) is refused: the refusal is written to the audit log in its own transaction, so it stays
on record although the change is rolled back, and `Refused` is raised.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from services.cases.errors import InvalidCommand
from services.cases.uow import UnitOfWork
from services.domain.routing import Department, NotAdmitted, RoutingRule, check_rule_admissible
from services.routing.specs import (
    DepartmentSpec,
    ImportOutcome,
    Refused,
    Ruleset,
    RuleSpec,
    check_department,
    domain_rule,
    spec_of,
)
from services.store import departments as store
from services.store.catalog import community_admissibility


def save_departments(
    uow: UnitOfWork, specs: Sequence[DepartmentSpec], *, actor: str, source: str = "api"
) -> list[str]:
    """Creates or updates departments (validated; audited). Refuses (`Refused`) a change that
    would leave an active rule routing a non-admitted category to a community committee."""
    conn = uow.conn
    store.lock_rules(conn)
    known_categories = _category_codes(uow)
    for i, spec in enumerate(specs):
        check_department(spec, known_categories, f"departments[{i}]" if len(specs) > 1 else "")
    by_code = store.departments(conn)
    by_code.update({s.code: s.as_domain() for s in specs})
    changed = {s.code for s in specs}
    rules = [r for r in store.active_rules(conn) if r.department_code in changed]
    _check_admission(
        uow, rules, by_code, actor=actor, action="department.save", at_field="admitted_categories"
    )
    for spec in specs:
        before = store.upsert_department(conn, spec.as_row())
        store.write_audit(
            conn, actor=actor, action="department.save", subject=f"department:{spec.code}",
            outcome="done", detail={"source": source, "before": before, "after": spec.as_row()},
        )  # fmt: skip
    return [s.code for s in specs]


def save_ruleset(
    uow: UnitOfWork,
    rules: Sequence[RuleSpec],
    *,
    actor: str,
    source: str,
    note: str | None = None,
    extra_departments: dict[str, Department] | None = None,
) -> int:
    """Stores `rules` as the new complete ruleset version and returns its id. Raises
    `InvalidCommand` for a malformed rule, `UnknownDepartment` for an unknown one, `Refused`
    (after auditing) for a rule the admission list forbids."""
    conn = uow.conn
    store.lock_rules(conn)
    by_code = store.departments(conn)
    by_code.update(extra_departments or {})
    known_categories = _category_codes(uow)
    domain_rules = [
        domain_rule(spec, f"rules[{i}].", by_code, known_categories) for i, spec in enumerate(rules)
    ]
    _check_admission(uow, domain_rules, by_code, actor=actor, action="ruleset.save")
    before = {"version": store.current_version(conn),
              "rules": [spec_of(r).__dict__ for r in store.active_rules(conn)]}  # fmt: skip
    version = store.write_ruleset(conn, domain_rules, created_by=actor, source=source, note=note)
    after = {"version": version, "rules": [spec_of(r).__dict__ for r in domain_rules]}
    store.write_audit(
        conn, actor=actor, action="ruleset.save", subject=f"ruleset:{version}", outcome="done",
        detail={"source": source, "rules": len(domain_rules), "note": note,
                "before": before, "after": after},
    )  # fmt: skip
    return version


def add_rule(uow: UnitOfWork, spec: RuleSpec, *, actor: str) -> int:
    """A new ruleset version: the active rules plus `spec`. Returns the version id. Errors
    name the fields of `spec` itself (e.g. `department_code`)."""
    conn = uow.conn
    store.lock_rules(conn)
    by_code = store.departments(conn)
    rule = domain_rule(spec, "", by_code, _category_codes(uow))
    _check_admission(
        uow, [rule], by_code, actor=actor, action="ruleset.save", at_field="department_code"
    )
    current = [spec_of(r) for r in store.active_rules(conn)]
    return save_ruleset(uow, [*current, spec], actor=actor, source="api", note="rule added")


def remove_rule(uow: UnitOfWork, rule_id: int, *, actor: str) -> int:
    """A new ruleset version: the active rules without rule `rule_id`. Raises
    `InvalidCommand` when no active rule has that id."""
    store.lock_rules(uow.conn)
    rows = store.rule_rows(uow.conn)
    if not any(r["id"] == rule_id for r in rows):
        raise InvalidCommand("rule_id", f"no active rule {rule_id}")
    kept = [
        RuleSpec(r["category_code"], r["jurisdiction_code"], r["department_code"], r["priority"])
        for r in rows
        if r["id"] != rule_id
    ]
    return save_ruleset(uow, kept, actor=actor, source="api", note=f"rule {rule_id} removed")


def import_ruleset(uow: UnitOfWork, ruleset: Ruleset, *, actor: str, source: str) -> ImportOutcome:
    """Applies an import file: its departments first, then (if it has rules) its rules as a
    new complete ruleset version. All or nothing."""
    outcome = ImportOutcome()
    if ruleset.departments:
        outcome.departments.extend(
            save_departments(uow, ruleset.departments, actor=actor, source=source)
        )
    if ruleset.rules is not None:
        outcome.version = save_ruleset(
            uow, ruleset.rules, actor=actor, source=source, note=ruleset.note
        )
        outcome.rules = len(ruleset.rules)
    return outcome


def _category_codes(uow: UnitOfWork) -> dict[str, bool]:
    return community_admissibility(uow.conn)


def _check_admission(
    uow: UnitOfWork,
    rules: Iterable[RoutingRule],
    by_code: dict[str, Department],
    *,
    actor: str,
    action: str,
    at_field: str | None = None,
) -> None:
    for i, rule in enumerate(rules):
        department = by_code.get(rule.department_code)
        if department is None:
            continue
        try:
            check_rule_admissible(rule, department)
        except NotAdmitted as refusal:
            audit_id = audit_refusal(
                uow, actor=actor, action=action, subject=f"department:{department.code}",
                reason=str(refusal), detail={"rule": spec_of(rule).__dict__},
            )  # fmt: skip
            where = at_field or f"rules[{i}].department_code"
            raise Refused(where, str(refusal), audit_id) from None


def audit_refusal(
    uow: UnitOfWork, *, actor: str, action: str, subject: str, reason: str, detail: dict
) -> int:
    """Writes a refusal to the audit log in its own, immediately committed transaction, so it
    outlives the rollback of the refused change. Returns the audit entry id."""
    with uow.engine.begin() as conn:
        return store.write_audit(
            conn, actor=actor, action=action, subject=subject, outcome="refused",
            reason=reason, detail=detail,
        )  # fmt: skip
