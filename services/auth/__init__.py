"""Accounts, passwords, tokens, roles and the authorization decorators. Imports the store,
services.http, config and runtime; nothing of the rooms above it.

Other packages use:
    from services.auth import requires, rate_limited, current_principal, Principal, can_see_cell
    from services.auth.tokens import decode_access, InvalidToken
"""

from services.auth.decorators import current_principal, rate_limited, requires
from services.auth.principal import (
    ADMIN,
    DEPARTMENT_STAFF,
    GRID_WORKER,
    LEADER,
    OPERATOR,
    ROLES,
    Principal,
    can_see_cell,
    jurisdiction_filter,
)

__all__ = [
    "ADMIN",
    "DEPARTMENT_STAFF",
    "GRID_WORKER",
    "LEADER",
    "OPERATOR",
    "ROLES",
    "Principal",
    "can_see_cell",
    "current_principal",
    "jurisdiction_filter",
    "rate_limited",
    "requires",
]
