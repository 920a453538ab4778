"""What a caller may read, as a store scope: the one answer every reader of cases by place
uses (the API's lists and figures, exports, the live feed)."""

from __future__ import annotations

from services.auth.principal import ADMIN, DEPARTMENT_STAFF, GRID_WORKER, Principal
from services.store.scopes import ALL, NOTHING, Scope


def place_scope(me: Principal) -> Scope:
    """The place an operator or a leader is bound to (district, street or community), all for
    admins, nothing for other roles."""
    if me.role == ADMIN:
        return ALL
    return Scope.place(me.place_code) if me.place_code else NOTHING


def reader_scope(me: Principal) -> Scope:
    """Every case `me` may read: its place for operators and leaders, its department for
    department staff, its cells for grid workers, everything for admins."""
    if me.role == DEPARTMENT_STAFF and me.department_code:
        return Scope("department", (me.department_code,))
    if me.role == GRID_WORKER and me.cell_codes:
        return Scope("cells", tuple(sorted(me.cell_codes)))
    return place_scope(me)
