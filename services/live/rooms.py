"""Socket.IO rooms: who joins which, and which rooms an event goes to. Standard library only.

A connected client joins exactly the rooms its Principal may see, and every event is emitted
only to the rooms of the place and department it concerns, so a client can never receive an
event outside its scope: an operator of street A is in `street:A` alone, and an event of
street B goes to `street:B`, `district:<B's district>` and `all` — never to `street:A`.

    admin             all
    operator, leader  district:<6 digits>, street:<9 digits> or community:<12 digits>
    department_staff  dept:<department code>
    grid_worker       cell:<15 digits> for each of its cells, and account:<its id> (the
                      notifications of its own reports, `account_room`)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from services.auth.principal import (
    ADMIN,
    DEPARTMENT_STAFF,
    GRID_WORKER,
    Principal,
    jurisdiction_level,
)

ALL = "all"


@dataclass(frozen=True)
class Place:
    """Where an event happened and which department holds its case (any part may be None)."""

    cell_code: str | None = None
    street_code: str | None = None
    district_code: str | None = None
    department_codes: tuple[str, ...] = ()
    community_code: str | None = None


def rooms_for_principal(principal: Principal) -> list[str]:
    """The rooms a client with this Principal joins on connect (empty: refuse the client)."""
    if principal.role == ADMIN:
        return [ALL]
    level = jurisdiction_level(principal.place_code)
    if level:
        return [f"{level}:{principal.place_code}"]
    if principal.place_code:
        return []
    if principal.role == DEPARTMENT_STAFF and principal.department_code:
        return [f"dept:{principal.department_code}"]
    if principal.role == GRID_WORKER and principal.cell_codes:
        return [f"cell:{c}" for c in sorted(principal.cell_codes)] + [
            account_room(principal.user_id)
        ]
    return []


def account_room(account_id: int) -> str:
    """The room of one account's sockets: what is meant for that account alone."""
    return f"account:{account_id}"


def rooms_for_place(place: Place, *, departments: bool = True) -> list[str]:
    """The rooms an event at `place` is emitted to. Community, street and district fall back
    to the prefixes of the 15-digit cell code when the event does not name them."""
    cell = place.cell_code if place.cell_code and len(place.cell_code) == 15 else None
    community = place.community_code or (cell[:12] if cell else None)
    street = place.street_code or (cell[:9] if cell else None)
    district = place.district_code or (street[:6] if street else None)
    rooms = [ALL]
    if district:
        rooms.append(f"district:{district}")
    if street:
        rooms.append(f"street:{street}")
    if community:
        rooms.append(f"community:{community}")
    if cell:
        rooms.append(f"cell:{cell}")
    if departments:
        rooms.extend(f"dept:{d}" for d in _unique(place.department_codes) if d)
    return rooms


def worker_rooms(cell_codes: Iterable[str]) -> list[str]:
    """The rooms a grid worker's position goes to: the center rooms of each of its cells (not
    departments, not other workers)."""
    rooms: list[str] = []
    for cell in sorted(set(cell_codes)):
        for room in rooms_for_place(Place(cell_code=cell), departments=False):
            if not room.startswith("cell:") and room not in rooms:
                rooms.append(room)
    return rooms or [ALL]


def _unique(values: Iterable[str | None]) -> list[str]:
    seen: list[str] = []
    for v in values:
        if v and v not in seen:
            seen.append(v)
    return seen
