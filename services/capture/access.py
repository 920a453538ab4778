"""Who may read a report: its reporter, and whoever may see its place."""

from __future__ import annotations

from typing import Any

from services.auth.principal import DEPARTMENT_STAFF, Principal, can_see_cell


def may_see_report(principal: Principal, report: dict[str, Any]) -> bool:
    """True for the report's own reporter, for principals whose scope covers its place
    (grid workers: their cells; operators: their district or street; admins: all), and for
    the staff of the department its case is routed to."""
    if report.get("reporter_id") is not None and report["reporter_id"] == principal.user_id:
        return True
    department = report.get("department_code")
    if principal.role == DEPARTMENT_STAFF and department is not None:
        return department == principal.department_code
    return can_see_cell(
        principal,
        report.get("cell_code"),
        report.get("community_code"),
        report.get("street_code"),
        report.get("district_code"),
    )
