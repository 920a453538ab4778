"""The admin's views over routing: how many open cases each department holds (what a
deactivation leaves with it), and "which department would get a report here?" — a category
and a map point, the rule that wins and why, every other candidate rule and what became of it.
Admins only; nothing here writes."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from services.api.admin_routing_schemas import (
    DepartmentOpenCases,
    RoutePreviewOut,
    RoutePreviewQuery,
)
from services.api.openapi import operation
from services.auth import requires
from services.auth.principal import ADMIN
from services.domain.routing import candidate_outcomes, resolve_route
from services.http.errors import Unprocessable
from services.http.validation import query_args
from services.store import departments as store
from services.store.catalog import get_category
from services.store.department_load import open_cases_by_department

bp = Blueprint("admin_routing", __name__, url_prefix="/api/v1/admin")
TAGS = ["admin"]


@bp.get("/departments/open-cases")
@operation("The open cases each department holds (a deactivated department keeps them until "
           "an operator re-dispatches them; new cases are no longer routed to it)",
           tags=TAGS, responses={200: DepartmentOpenCases})  # fmt: skip
@requires(ADMIN)
def open_cases():
    with current_app.extensions["gridflow"].engine.connect() as conn:
        counts = open_cases_by_department(conn)
    return jsonify(DepartmentOpenCases(counts=counts).model_dump())


def _rule(rule) -> dict:
    return {"category_code": rule.category_code, "jurisdiction_code": rule.jurisdiction_code,
            "department_code": rule.department_code, "priority": rule.priority,
            "level": rule.level}  # fmt: skip


@bp.get("/rules/preview")
@operation("Which department would get a report of this category at this point: the place, "
           "the winning rule (or the fallback) and why, and every candidate rule's outcome",
           tags=TAGS, query=RoutePreviewQuery, responses={200: RoutePreviewOut},
           errors=(422,))  # fmt: skip
@requires(ADMIN)
def preview():
    query = query_args(RoutePreviewQuery)
    gf = current_app.extensions["gridflow"]
    placement = gf.locator.locate(query.lat, query.lng, query.crs)
    with gf.engine.connect() as conn:
        if get_category(conn, query.category) is None:
            raise Unprocessable(f"no category {query.category}", field="category")
        departments = store.departments(conn)
        rules = store.active_rules(conn)
    district = placement.district_code or ""
    decision = resolve_route(rules, departments, query.category, placement.cell_code, district)
    candidates = []
    if placement.cell_code is not None:
        outcomes = candidate_outcomes(rules, departments, query.category, placement.cell_code)
        candidates = [{**_rule(rule), "outcome": outcome} for rule, outcome in outcomes]
    chosen = departments.get(decision.department_code or "")
    out = RoutePreviewOut(
        status=placement.status, cell_code=placement.cell_code,
        community_code=placement.community_code, street_code=placement.street_code,
        district_code=placement.district_code, category=query.category,
        department_code=decision.department_code,
        department_name=chosen.name if chosen else None,
        rule=_rule(decision.rule) if decision.rule else None, fallback=decision.fallback,
        reason=decision.reason, candidates=candidates,
    )  # fmt: skip
    return jsonify(out.model_dump())
