"""Who is calling: the roles of gridflow and what each may see. Standard library only."""

from __future__ import annotations

from dataclasses import dataclass

GRID_WORKER = "grid_worker"
OPERATOR = "operator"
DEPARTMENT_STAFF = "department_staff"
ADMIN = "admin"
ROLES = (GRID_WORKER, OPERATOR, DEPARTMENT_STAFF, ADMIN)


@dataclass(frozen=True)
class Principal:
    """The authenticated account behind a request, with the scope its role is bound to.

    grid_worker: `cell_codes` (15-digit cells); operator: `jurisdiction_code` (a 6-digit
    district or a 9-digit street); department_staff: `department_code`; admin: everything.
    """

    user_id: int
    username: str
    role: str
    cell_codes: frozenset[str] = frozenset()
    jurisdiction_code: str | None = None
    department_code: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN


def can_see_cell(
    principal: Principal,
    cell_code: str | None = None,
    community_code: str | None = None,
    street_code: str | None = None,
    district_code: str | None = None,
) -> bool:
    """Whether `principal` may see things placed in this cell / community / street / district.

    Admins see everything; grid workers their own cells; operators their district or street
    (a thing outside every cell but inside their district counts). Department staff see
    cases routed to their department, which is not a question of place: always False here.
    """
    if principal.role == ADMIN:
        return True
    if principal.role == GRID_WORKER:
        return cell_code is not None and cell_code in principal.cell_codes
    if principal.role == OPERATOR and principal.jurisdiction_code:
        scope = principal.jurisdiction_code
        for code in (cell_code, community_code, street_code, district_code):
            if code and code.startswith(scope):
                return True
    return False


def jurisdiction_filter(principal: Principal) -> tuple[str, dict[str, object]]:
    """A SQL condition (over columns cell_code, street_code, district_code) limiting rows to
    what `principal` may see by place, with its parameters. Mirrors `can_see_cell`."""
    if principal.role == ADMIN:
        return "TRUE", {}
    if principal.role == GRID_WORKER:
        return "cell_code = ANY(:scope_cells)", {"scope_cells": sorted(principal.cell_codes)}
    if principal.role == OPERATOR and principal.jurisdiction_code:
        column = "district_code" if len(principal.jurisdiction_code) == 6 else "street_code"
        return f"{column} = :scope_code", {"scope_code": principal.jurisdiction_code}
    return "FALSE", {}
