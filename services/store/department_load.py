"""What departments hold: their open cases, counted for the admin before a department is
deactivated (its open cases stay with it until an operator re-dispatches them)."""

from __future__ import annotations

from sqlalchemy import Connection, text

from services.store.cases.groups import open_sql


def open_cases_by_department(conn: Connection) -> dict[str, int]:
    """The number of open cases each department holds (departments with none left out)."""
    rows = conn.execute(
        text(
            "SELECT c.department_code, count(*) FROM case_file c "
            f"WHERE {open_sql('c')} AND c.department_code IS NOT NULL GROUP BY 1"
        )
    )
    return {code: n for code, n in rows}
