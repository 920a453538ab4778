"""The four demo accounts (password `demo`), for development mode only."""

from __future__ import annotations

from sqlalchemy import Connection, Engine

from services.auth.passwords import hash_password
from services.auth.principal import ADMIN, DEPARTMENT_STAFF, GRID_WORKER, OPERATOR
from services.auth.users import NewAccount, create_user
from services.config import Config
from services.store import accounts as store
from services.store.accounts import set_cells
from services.store.grid_cells import first_current_cells

DEMO_PASSWORD = "demo"
DEMO_DEPARTMENT = "sanitation"
DEMO_USERNAMES = ("demo-worker", "demo-operator", "demo-department", "demo-admin")


class DemoRefused(RuntimeError):
    """Demo accounts exist only in development mode, on a database with a grid loaded."""


def _demo_scope(conn: Connection, cells: int) -> tuple[list[str], str]:
    rows = first_current_cells(conn, cells)
    if not rows:
        raise DemoRefused("no grid is loaded: load one (gridflow grid load-demo) first")
    return [r.code.strip() for r in rows], rows[0].district_code


def ensure_demo_accounts(
    engine: Engine,
    config: Config,
    *,
    cells: int = 4,
    department_code: str = DEMO_DEPARTMENT,
) -> dict[str, int]:
    """Creates (or re-binds) demo-worker, demo-operator, demo-department and demo-admin.

    demo-worker gets the first `cells` cells of the current grid, demo-operator its district.
    Idempotent; raises DemoRefused outside development mode. Returns username → user id.
    """
    if not config.development:
        raise DemoRefused("demo accounts with the password 'demo' exist only in development mode")
    with engine.begin() as conn:
        cell_codes, district = _demo_scope(conn, cells)
        accounts = [
            NewAccount("demo-worker", DEMO_PASSWORD, GRID_WORKER, "演示网格员", None,
                       tuple(cell_codes)),
            NewAccount("demo-operator", DEMO_PASSWORD, OPERATOR, "演示受理员",
                       jurisdiction_code=district),
            NewAccount("demo-department", DEMO_PASSWORD, DEPARTMENT_STAFF, "演示环卫",
                       department_code=department_code),
            NewAccount("demo-admin", DEMO_PASSWORD, ADMIN, "演示管理员"),
        ]  # fmt: skip
        ids: dict[str, int] = {}
        for account in accounts:
            found = store.account_id(conn, account.username)
            if found is None:
                ids[account.username] = create_user(conn, account, development=True)
                continue
            store.reset_account(
                conn, found, password_hash=hash_password(DEMO_PASSWORD), role=account.role,
                jurisdiction_code=account.jurisdiction_code,
                department_code=account.department_code,
            )  # fmt: skip
            set_cells(conn, found, account.cell_codes)
            ids[account.username] = found
    return ids
