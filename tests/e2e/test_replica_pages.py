"""The read-heavy pages and files served by the PostgreSQL streaming replica, and by the
primary when it is down: on a stage of its own (a private PostgreSQL with a replica, the real
serve/relay/router processes, a few seconds of reports through the API), values are marked so
that the replica alone shows them (tests/integration/drills/replica_marks.py). The KPI page
in Chromium shows the replica's marker, then the primary's real name once the replica is
stopped; the case search, its XLSX export, a ledger file, the department ranking's XLSX and
the patrol attendance sheet likewise."""

from __future__ import annotations

import csv
import io
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests
from openpyxl import load_workbook
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import text

from tests.integration.drills import replica_marks
from tests.integration.drills.drills import SMALL, Drills
from tests.integration.drills.replica_marks import MARK
from tests.integration.drills.staging import staged, with_cases
from tests.processes import ARTIFACTS

A_NAME = text("UPDATE app_user SET display_name = '网格员' || id WHERE CAST(id AS text) = :id")
A_COMMUNITY = text("SELECT community_code FROM case_file WHERE department_code = :c LIMIT 1")


@pytest.fixture(scope="module")
def stage(stack_urls):
    with staged("replica-pages", Drills, SMALL, ARTIFACTS / "replica-pages",
                private_kafka=False, replica=True) as runner:  # fmt: skip
        with_cases(runner)
        yield runner.stage


@pytest.fixture()
def replica(stage):
    """The stage's replica serving reads; started again and following the primary after."""
    _until(lambda: _serving(stage) == 1.0, 30)
    try:
        yield stage.replica
    finally:
        if not stage.replica.running:
            stage.replica.start()
        replica_marks.unmark(stage)


def _serving(stage) -> float:
    body = requests.get(f"{stage.api().url}/metrics", timeout=10).text
    line = next(x for x in body.splitlines() if x.startswith("gridflow_replica_serving "))
    return float(line.split()[1])


def _until(predicate, timeout_s: float):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"not within {timeout_s} s")


def _today(stage):
    return datetime.now(ZoneInfo(stage.config.timezone)).date()


def _names_on_the_page(page, timeout_ms: float = 30_000) -> str | None:
    """The ranking's rows once the page has loaded them; None if it did not within the time
    (a request that met the replica going down is answered 503)."""
    try:
        page.wait_for_function(
            "() => (document.body.dataset.loaded || '').startsWith('department:')",
            timeout=timeout_ms,
        )
    except PlaywrightTimeout:
        return None
    return page.inner_text("#ranking tbody")


def test_the_kpi_page_is_served_by_the_replica_then_by_the_primary_when_it_is_down(
    stage, replica, page, screenshot
):
    code = replica_marks.busiest_department(stage)
    [marked] = replica_marks.mark(stage, ("department", "name_zh", code))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{stage.api().url}/kpi?level=department&period=week&date={_today(stage)}")
    page.fill("#login-username", "drill-admin")
    page.fill("#login-password", stage.password)
    page.click("#login-form button[type=submit]")
    # The marker is on the replica alone: the page shows it, so the replica served it.
    shown = _names_on_the_page(page)
    assert shown and MARK in shown and marked.real not in shown
    screenshot(page, "kpi-from-the-replica")

    replica.stop("fast")

    def from_the_primary() -> str | None:
        page.reload()
        names = _names_on_the_page(page, 5_000)
        return names if names and marked.real in names else None

    # The replica is down: the page is read from the primary, which has the real name.
    shown = _until(from_the_primary, 20)
    assert MARK not in shown
    assert screenshot(page, "kpi-from-the-primary").stat().st_size > 0
    assert errors == []


def _get(stage, path: str, **params) -> requests.Response:
    resp = requests.get(f"{stage.api().url}{path}", params=params, timeout=60,
                        headers={"Authorization": f"Bearer {stage.admin_token}"})  # fmt: skip
    assert resp.status_code == 200, resp.text
    return resp


def _searched(stage, code: str) -> set[str] | None:
    resp = requests.get(f"{stage.api().url}/api/v1/operator/cases/search",
                        params={"department": code, "limit": 5}, timeout=60,
                        headers={"Authorization": f"Bearer {stage.admin_token}"})  # fmt: skip
    return {i["department"]["zh"] for i in resp.json()["items"]} if resp.ok else None


def _xlsx_values(resp: requests.Response) -> set[str]:
    book = load_workbook(io.BytesIO(resp.content), read_only=True)
    return {str(v) for sheet in book for row in sheet.iter_rows(values_only=True)
            for v in row if v is not None}  # fmt: skip


def _read(stage, code: str, community: str, ledger_format: str) -> dict[str, set[str]]:
    """What the search, the exports and the sheets show of the marked department and worker."""
    today, month = _today(stage), _today(stage).strftime("%Y-%m")
    ledger = _get(stage, "/api/v1/ledgers/file", community=community, month=month,
                  format=ledger_format)  # fmt: skip
    if ledger_format == "csv":
        ledger_values = {v for row in csv.reader(io.StringIO(ledger.content.decode("utf-8-sig")))
                         for v in row}  # fmt: skip
    else:
        ledger_values = _xlsx_values(ledger)
    search = _get(stage, "/api/v1/operator/cases/search/export", department=code)
    ranking = _get(stage, "/api/v1/rankings", level="department", period="week",
                   date=str(today), format="xlsx")  # fmt: skip
    sheet = _get(stage, "/api/v1/patrol/attendance.xlsx", **{"from": str(today), "to": str(today)})
    return {"search": _searched(stage, code), "search.xlsx": _xlsx_values(search),
            "ledger": ledger_values, "ranking.xlsx": _xlsx_values(ranking),
            "attendance.xlsx": _xlsx_values(sheet)}  # fmt: skip


def test_search_and_exports_are_read_from_the_replica_then_from_the_primary_when_it_is_down(
    stage, replica
):
    code = replica_marks.busiest_department(stage)
    worker_id = replica_marks.a_worker(stage)
    with stage.engine.begin() as conn:
        community = conn.execute(A_COMMUNITY, {"c": code}).scalar_one()
        conn.execute(A_NAME, {"id": worker_id})  # the stage's accounts have none
    department, worker = replica_marks.mark(
        stage, ("department", "name_zh", code), ("app_user", "display_name", worker_id)
    )
    # Each shows the marker: read from the replica (a ledger file is written once, on demand:
    # its CSV now, its XLSX while the replica is down).
    seen = _read(stage, code, community, "csv")
    assert seen["search"] == {MARK}
    for name in ("search.xlsx", "ledger", "ranking.xlsx"):
        assert MARK in seen[name] and department.real not in seen[name], name
    assert MARK in seen["attendance.xlsx"] and worker.real not in seen["attendance.xlsx"]

    replica.stop("fast")
    # The replica is down: once the API has noticed (a request meeting it going down is
    # answered 503), each is read from the primary, with the real names.
    _until(lambda: _searched(stage, code) == {department.real}, 20)
    seen = _read(stage, code, community, "xlsx")
    assert seen["search"] == {department.real}
    for name in ("search.xlsx", "ledger", "ranking.xlsx"):
        assert department.real in seen[name] and MARK not in seen[name], name
    assert worker.real in seen["attendance.xlsx"] and MARK not in seen["attendance.xlsx"]
