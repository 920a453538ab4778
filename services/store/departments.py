"""Departments, versioned routing rules and the audit log in PostgreSQL.

A ruleset version is a complete snapshot: saving rules creates a new `ruleset_version` whose
rows become the active rules while the rows of every earlier version are deactivated (kept
for history). Plain functions over a Connection inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, text

from services.domain.routing import Department, RoutingRule
from services.store import audit_log as audit

# Serialises every change to departments and rules (a transaction-scoped advisory lock).
_RULES_LOCK = 0x72756C65  # "rule"

_DEPT_COLUMNS = "code, name_zh, name_en, kind, jurisdiction_code, admitted_categories, active"


def lock_rules(conn: Connection) -> None:
    """Makes concurrent rule and department changes wait for this transaction."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _RULES_LOCK})


def _department(row: Any) -> Department:
    return Department(
        code=row["code"],
        name=row["name_zh"],
        kind=row["kind"],
        jurisdiction_code=row["jurisdiction_code"],
        admitted_categories=frozenset(row["admitted_categories"] or ()),
        active=row["active"],
    )


def department_rows(conn: Connection, codes: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Department rows (all, or those with `codes`), by code."""
    where, params = "", {}
    if codes is not None:
        where, params = " WHERE code = ANY(:codes)", {"codes": sorted(set(codes))}
    rows = conn.execute(
        text(f"SELECT {_DEPT_COLUMNS}, updated_at FROM department{where} ORDER BY code"), params
    ).mappings()
    return [dict(r) for r in rows]


def departments(conn: Connection, codes: Iterable[str] | None = None) -> dict[str, Department]:
    """Departments as domain values, keyed by code."""
    return {r["code"]: _department(r) for r in department_rows(conn, codes)}


def operator_queues(conn: Connection, district_code: str) -> dict[str, Department]:
    """The operator queues of a district (routing falls back to them)."""
    rows = conn.execute(
        text(
            f"SELECT {_DEPT_COLUMNS} FROM department "
            "WHERE kind = 'operator_queue' AND jurisdiction_code = :d"
        ),
        {"d": district_code},
    ).mappings()
    return {r["code"]: _department(r) for r in rows}


def upsert_department(conn: Connection, values: dict[str, Any]) -> dict[str, Any] | None:
    """Creates or replaces a department; returns the row as it was before (None if new)."""
    before = department_rows(conn, [values["code"]])
    conn.execute(
        text(
            f"INSERT INTO department ({_DEPT_COLUMNS}) VALUES (:code, :name_zh, :name_en, "
            ":kind, :jurisdiction_code, :admitted_categories, :active) "
            "ON CONFLICT (code) DO UPDATE SET name_zh = EXCLUDED.name_zh, "
            "name_en = EXCLUDED.name_en, kind = EXCLUDED.kind, "
            "jurisdiction_code = EXCLUDED.jurisdiction_code, "
            "admitted_categories = EXCLUDED.admitted_categories, active = EXCLUDED.active, "
            "updated_at = now()"
        ),
        values,
    )
    return before[0] if before else None


def rules_for(conn: Connection, category_code: str, cell_code: str) -> list[RoutingRule]:
    """The active rules that could apply to a case of the category in the cell."""
    rows = conn.execute(
        text(
            "SELECT category_code, jurisdiction_code, department_code, priority "
            "FROM routing_rule WHERE active AND :cell LIKE jurisdiction_code || '%' "
            "AND (category_code IS NULL OR category_code = :cat)"
        ),
        {"cell": cell_code, "cat": category_code},
    ).mappings()
    return [RoutingRule(**r) for r in rows]


def rule_rows(conn: Connection, *, version: int | None = None) -> list[dict[str, Any]]:
    """The rules of a ruleset version (default: the active rules), ordered by id."""
    if version is None:
        where, params = "WHERE active", {}
    else:
        where, params = "WHERE ruleset_version = :v", {"v": version}
    rows = conn.execute(
        text(
            "SELECT id, ruleset_version, category_code, jurisdiction_code, department_code, "
            f"priority, active FROM routing_rule {where} ORDER BY id"
        ),
        params,
    ).mappings()
    return [dict(r) for r in rows]


def current_version(conn: Connection) -> int | None:
    """The id of the active ruleset version (the newest), or None before any rules exist."""
    return conn.execute(text("SELECT max(id) FROM ruleset_version")).scalar_one()


def versions(conn: Connection, limit: int = 50) -> list[dict[str, Any]]:
    """The newest ruleset versions with their rule counts."""
    rows = conn.execute(
        text(
            "SELECT v.id, v.created_at, v.created_by, v.source, v.note, "
            "(SELECT count(*) FROM routing_rule r WHERE r.ruleset_version = v.id) AS rules "
            "FROM ruleset_version v ORDER BY v.id DESC LIMIT :n"
        ),
        {"n": limit},
    ).mappings()
    return [dict(r) for r in rows]


def version_exists(conn: Connection, version: int) -> bool:
    """Whether a ruleset version with this id exists."""
    found = conn.execute(text("SELECT 1 FROM ruleset_version WHERE id = :v"), {"v": version})
    return found.first() is not None


def write_ruleset(
    conn: Connection, rules: list[RoutingRule], *, created_by: str, source: str, note: str | None
) -> int:
    """Stores `rules` as a new ruleset version and makes exactly them active; returns its id."""
    version = conn.execute(
        text(
            "INSERT INTO ruleset_version (created_by, source, note) "
            "VALUES (:by, :source, :note) RETURNING id"
        ),
        {"by": created_by, "source": source, "note": note},
    ).scalar_one()
    conn.execute(text("UPDATE routing_rule SET active = false WHERE active"))
    if rules:
        conn.execute(
            text(
                "INSERT INTO routing_rule (ruleset_version, category_code, jurisdiction_code, "
                "department_code, priority) VALUES (:v, :category_code, :jurisdiction_code, "
                ":department_code, :priority)"
            ),
            [
                {
                    "v": version,
                    "category_code": r.category_code,
                    "jurisdiction_code": r.jurisdiction_code,
                    "department_code": r.department_code,
                    "priority": r.priority,
                }
                for r in rules
            ],
        )
    return version


def active_rules(conn: Connection) -> list[RoutingRule]:
    """Every active rule as a domain value."""
    return [
        RoutingRule(r["category_code"], r["jurisdiction_code"], r["department_code"], r["priority"])
        for r in rule_rows(conn)
    ]


def write_audit(
    conn: Connection,
    *,
    actor: str,
    action: str,
    subject: str,
    outcome: str,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Appends one entry to the audit log (its `before`/`after` taken from `detail`); returns
    its id."""
    detail = detail or {}
    return audit.record(
        conn, actor=actor, action=action, subject=subject, outcome=outcome, reason=reason,
        before=detail.get("before"), after=detail.get("after"), detail=detail,
    )  # fmt: skip


def audit_entries(
    conn: Connection, *, subject_prefix: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """The newest audit entries, optionally of subjects starting with `subject_prefix`."""
    where, params = "", {"n": limit}
    if subject_prefix:
        where, params["p"] = "WHERE subject LIKE :p || '%'", subject_prefix
    rows = conn.execute(
        text(
            "SELECT id, at, actor, action, subject, outcome, reason, detail FROM audit_log "
            f"{where} ORDER BY id DESC LIMIT :n"
        ),
        params,
    ).mappings()
    return [dict(r) for r in rows]


def staffed_departments(conn: Connection) -> list[Any]:
    """(code, name_zh) of every active department that has staff (not an operator queue)."""
    return conn.execute(
        text("SELECT code, name_zh FROM department WHERE active AND kind <> 'operator_queue'")
    ).all()
