"""The simulated fleet's accounts: grid workers bound to cells in a few streets of the current
grid, and one staff account per department. Created (or re-bound) in development mode only,
with the demo password, so `./scripts/demo` can sign them in."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from sqlalchemy import Engine

from services.auth.passwords import WeakPassword, check_allowed, hash_password
from services.auth.principal import DEPARTMENT_STAFF, GRID_WORKER
from services.auth.users import NewAccount, create_user
from services.config import Config
from services.store import accounts
from services.store.accounts import set_cells
from services.store.catalog import active_categories
from services.store.departments import staffed_departments
from services.store.grid_cells import current_cell_points, one_cell

PASSWORD = "demo"


class FleetRefused(Exception):
    """The fleet cannot be set up here (not development mode, or no grid loaded)."""


@dataclass(frozen=True)
class SimWorker:
    username: str
    cell_code: str
    lat: float
    lng: float
    # The cell's outer ring (lng, lat), the streets the worker patrols are laid inside it.
    ring: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class Fleet:
    workers: list[SimWorker]
    departments: dict[str, str]  # department code → staff username
    categories: list[tuple[str, str]]  # (code, Chinese name) of active categories
    password: str = PASSWORD


def ensure_fleet(
    engine: Engine, config: Config, *, workers: int, seed: int, password: str = PASSWORD
) -> Fleet:
    """Creates or re-binds `workers` grid workers (spread over three streets) and a staff
    account per active department, all with `password`; returns who they are. Idempotent for
    a given seed. The demo password works in development mode only."""
    try:
        check_allowed(password, development=config.development)
    except WeakPassword as exc:
        raise FleetRefused(f"the fleet's password is refused here: {exc}") from exc
    rng = random.Random(seed)
    with engine.begin() as conn:
        cells = current_cell_points(conn)
        if not cells:
            raise FleetRefused("no grid is loaded: run `gridflow grid load-demo` first")
        streets = sorted({c.code[:9] for c in cells})
        chosen_streets = rng.sample(streets, min(3, len(streets)))
        pool = [c for c in cells if c.code[:9] in chosen_streets]
        picked = rng.sample(pool, min(workers, len(pool)))
        fleet_workers = []
        for i, cell in enumerate(picked, start=1):
            username = f"sim-worker-{i:02d}"
            _account(conn, NewAccount(username, password, GRID_WORKER, f"模拟网格员{i:02d}",
                                      cell_codes=(cell.code.strip(),)))  # fmt: skip
            fleet_workers.append(SimWorker(username, cell.code.strip(), cell.lat, cell.lng,
                                           _outer_ring(conn, cell.code.strip())))  # fmt: skip
        departments = {}
        for row in staffed_departments(conn):
            username = f"sim-{row.code}"[:64]
            _account(conn, NewAccount(username, password, DEPARTMENT_STAFF, f"模拟{row.name_zh}",
                                      department_code=row.code))  # fmt: skip
            departments[row.code] = username
        categories = [(r.code, r.name_zh) for r in active_categories(conn)]
    return Fleet(fleet_workers, departments, categories, password)


def _outer_ring(conn, code: str) -> tuple[tuple[float, float], ...]:
    found = one_cell(conn, code)
    if found is None:
        return ()
    geometry = json.loads(found.geometry)
    polygon = (
        geometry["coordinates"][0]
        if geometry["type"] == "MultiPolygon"
        else geometry["coordinates"]
    )
    return tuple((x, y) for x, y in polygon[0])


def _account(conn, account: NewAccount) -> int:
    found = accounts.account_id(conn, account.username)
    if found is None:
        return create_user(conn, account, development=True)
    accounts.reset_role(
        conn, found, password_hash=hash_password(account.password), role=account.role,
        department_code=account.department_code,
    )  # fmt: skip
    set_cells(conn, found, account.cell_codes)
    return found
