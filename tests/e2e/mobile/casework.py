"""What the other people in the loop do while the phone is watched: the router dispatches a
report's case, the department staff acknowledge and resolve it (through the API)."""

from __future__ import annotations

import time

import requests
from sqlalchemy import text

from tests.integration.services.accounts import PASSWORD, make_user


def case_of(engine, report_id: str, state: str, timeout_s: float = 20.0):
    """The case of a report once it is in `state`: a row with id, department_code, case_no."""
    deadline = time.monotonic() + timeout_s
    while True:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT id::text, state, department_code, case_no FROM case_file "
                    "WHERE report_id = :r"
                ),
                {"r": report_id},
            ).first()
        if row is not None and row.state == state:
            return row
        if time.monotonic() > deadline:
            raise AssertionError(f"the case of report {report_id} is {row and row.state}")
        time.sleep(0.2)


def resolve_as_department(base_url: str, engine, case) -> None:
    """A staff member of the case's department acknowledges it and resolves it."""
    _, username = make_user(engine, "department_staff", department=case.department_code)
    login = requests.post(
        f"{base_url}/api/v1/auth/login",
        json={"username": username, "password": PASSWORD},
        timeout=10,
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    for action, body in (("acknowledge", None), ("resolve", {"note": "已清运完毕"})):
        resp = requests.post(
            f"{base_url}/api/v1/department/cases/{case.id}/{action}",
            headers=headers,
            json=body,
            timeout=10,
        )
        assert resp.status_code == 200, resp.text
