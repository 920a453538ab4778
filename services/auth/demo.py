"""The four demo accounts (password `demo`), for development mode only."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text

from services.auth.passwords import hash_password
from services.auth.principal import ADMIN, DEPARTMENT_STAFF, GRID_WORKER, OPERATOR
from services.auth.users import NewAccount, create_user, set_cells
from services.config import Config

DEMO_PASSWORD = "demo"
DEMO_DEPARTMENT = "sanitation"
DEMO_USERNAMES = ("demo-worker", "demo-operator", "demo-department", "demo-admin")


class DemoRefused(RuntimeError):
    """Demo accounts exist only in development mode, on a database with a grid loaded."""


def _demo_scope(conn: Connection, cells: int) -> tuple[list[str], str]:
    rows = conn.execute(
        text(
            "SELECT c.code, c.district_code FROM grid_cell c JOIN grid_version v "
            "ON v.id = c.version_id WHERE v.valid_to IS NULL ORDER BY c.code LIMIT :n"
        ),
        {"n": cells},
    ).all()
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
            found = conn.execute(
                text("SELECT id FROM app_user WHERE username = :u"), {"u": account.username}
            ).scalar()
            if found is None:
                ids[account.username] = create_user(conn, account, development=True)
                continue
            conn.execute(
                text(
                    "UPDATE app_user SET password_hash = :hash, role = :role, active = true, "
                    "jurisdiction_code = :j, department_code = :d, updated_at = now() "
                    "WHERE id = :id"
                ),
                {
                    "hash": hash_password(DEMO_PASSWORD),
                    "role": account.role,
                    "j": account.jurisdiction_code,
                    "d": account.department_code,
                    "id": found,
                },
            )
            set_cells(conn, found, account.cell_codes)
            ids[account.username] = found
    return ids
