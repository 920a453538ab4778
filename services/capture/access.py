"""Who may read a report: its reporter, and whoever may see its place."""

from __future__ import annotations

from typing import Any

from services.auth.principal import Principal, can_see_cell


def may_see_report(principal: Principal, report: dict[str, Any]) -> bool:
    """True for the report's own reporter and for principals whose scope covers its place
    (grid workers: their cells; operators: their district or street; admins: all)."""
    if report.get("reporter_id") is not None and report["reporter_id"] == principal.user_id:
        return True
    return can_see_cell(
        principal,
        report.get("cell_code"),
        report.get("community_code"),
        report.get("street_code"),
        report.get("district_code"),
    )
