"""Who is calling: the roles of gridflow and what each may see. Standard library only."""

from __future__ import annotations

from dataclasses import dataclass

GRID_WORKER = "grid_worker"
OPERATOR = "operator"
DEPARTMENT_STAFF = "department_staff"
ADMIN = "admin"
LEADER = "leader"  # reads figures, rankings, notices, ledgers and the live screen; acts on nothing
ROLES = (GRID_WORKER, OPERATOR, DEPARTMENT_STAFF, ADMIN, LEADER)

# The roles bound to a jurisdiction, and the jurisdiction levels an account may be bound to
# (by the length of its code): defined here once.
PLACE_ROLES = frozenset({OPERATOR, LEADER})
JURISDICTION_LEVELS = {6: "district", 9: "street", 12: "community"}


@dataclass(frozen=True)
class Principal:
    """The authenticated account behind a request, with the scope its role is bound to.

    grid_worker: `cell_codes` (15-digit cells); operator and leader: `jurisdiction_code` (a
    6-digit district, a 9-digit street or a 12-digit community, `JURISDICTION_LEVELS`);
    department_staff: `department_code`; admin: everything.
    """

    user_id: int
    username: str
    role: str
    cell_codes: frozenset[str] = frozenset()
    jurisdiction_code: str | None = None
    department_code: str | None = None
    # A one-time password not yet replaced: the account may do nothing but replace it
    # (services.auth.decorators.PASSWORD_CHANGE_ENDPOINTS).
    must_change_password: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def place_code(self) -> str | None:
        """The jurisdiction an operator or a leader is bound to; None for other roles."""
        return self.jurisdiction_code if self.role in PLACE_ROLES else None


def jurisdiction_level(code: str | None) -> str | None:
    """ "district", "street" or "community" for a jurisdiction code of that length, else None."""
    return JURISDICTION_LEVELS.get(len(code)) if code else None


def can_see_cell(
    principal: Principal,
    cell_code: str | None = None,
    community_code: str | None = None,
    street_code: str | None = None,
    district_code: str | None = None,
) -> bool:
    """Whether `principal` may see things placed in this cell / community / street / district.

    Admins see everything; grid workers their own cells; operators and leaders their
    district, street or community (a thing outside every cell but inside their district
    counts for a district's reader). Department staff see
    cases routed to their department, which is not a question of place: always False here.
    """
    if principal.role == ADMIN:
        return True
    if principal.role == GRID_WORKER:
        return cell_code is not None and cell_code in principal.cell_codes
    scope = principal.place_code
    if scope:
        for code in (cell_code, community_code, street_code, district_code):
            if code and code.startswith(scope):
                return True
    return False


def jurisdiction_filter(principal: Principal) -> tuple[str, dict[str, object]]:
    """A SQL condition (over columns cell_code, community_code, street_code, district_code)
    limiting rows to what `principal` may see by place, with its parameters. Mirrors
    `can_see_cell`."""
    if principal.role == ADMIN:
        return "TRUE", {}
    if principal.role == GRID_WORKER:
        return "cell_code = ANY(:scope_cells)", {"scope_cells": sorted(principal.cell_codes)}
    level = jurisdiction_level(principal.place_code)
    if level:
        return f"{level}_code = :scope_code", {"scope_code": principal.place_code}
    return "FALSE", {}
