"""KPIs per department and per jurisdiction, and the monthly ledgers, over cases driven
through the handlers at pinned instants so every figure is known exactly."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from services.calendars import calendars_from_config
from services.capture.photos import clean_photo
from services.cases import department as dept
from services.cases import field as field
from services.cases import operator as ops
from services.cases.commands import (
    AcknowledgeCase,
    DecideExtension,
    RateCase,
    RejectCase,
    RequestExtension,
    ResolveCase,
    VerifyCase,
)
from services.cases.uow import UnitOfWork
from services.config import Config
from services.ledger.export import export_ledgers
from tests.integration.services.handling.loop import CaseMaker, jpeg

STREET = "330211018"
M = timedelta(minutes=1)
CALENDARS = calendars_from_config(Config())
PHOTO = clean_photo(jpeg(), "image/jpeg", "photo")


@pytest.fixture(scope="module")
def t0():
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def loop(handling_app, engine, t0, tmp_path_factory):
    """Six cases of 上水井盖 (water; around the clock: acknowledge 10 min, resolve 120 min)
    dispatched at t0 and handled at known minutes after it."""
    from tests.integration.services.accounts import signed_in

    api = handling_app.test_client()
    maker = CaseMaker(api, engine, lambda role, **s: signed_in(api, engine, role, **s),
                      clock=lambda: t0)  # fmt: skip
    media = str(tmp_path_factory.mktemp("kpi-media"))

    def run(handler, cmd, at, **kw):
        with UnitOfWork(engine) as uow:
            done = handler(uow, cmd, now=t0 + at * M, **kw)
            uow.commit()
        return done

    def resolve(case, at):
        run(dept.resolve_case, ResolveCase(case["id"], "water-1", "ok"), at, media_dir=media,
            calendars=CALENDARS, verify_limit=60 * M)  # fmt: skip

    def verify(case, at, passed):
        with engine.connect() as conn:
            task = conn.execute(
                text("SELECT id FROM verification_task WHERE case_id = :c AND status = 'open'"),
                {"c": case["id"]},
            ).scalar()
        worker = maker.worker(case["cell_code"])[0]
        photos = () if passed else (PHOTO,)
        cmd = VerifyCase(task, worker, "worker-1", passed, "", photos)
        run(field.verify_case, cmd, at, calendars=CALENDARS, media_dir=media)

    def ack(case, at):
        run(dept.acknowledge_case, AcknowledgeCase(case["id"], "water-1"), at)

    def rate(case, at, rating):
        run(field.rate_case, RateCase(case["id"], "reporter", rating), at, calendars=CALENDARS,
            revisit_hours=8)  # fmt: skip

    made = {name: maker.case("101001", maker.fresh_cell(STREET)) for name in "ABCDF"}
    a, b, c, d, f = (made[k] for k in "ABCDF")
    ack(a, 5), resolve(a, 60), verify(a, 70, True), rate(a, 80, "satisfied")
    ack(b, 8), resolve(b, 100), verify(b, 110, False)  # rework: new limits from minute 110
    ack(b, 115), resolve(b, 200), verify(b, 210, True), rate(b, 220, "basically_satisfied")
    ack(c, 20)
    run(dept.request_case_extension, RequestExtension(c["id"], "water-1", t0 + 600 * M, "x"), 30)
    run(ops.decide_case_extension, DecideExtension(c["id"], "op", True), 40)
    ack(f, 5), resolve(f, 130), verify(f, 135, True)  # resolved after its due time
    rejected = maker.case("101001", maker.fresh_cell(STREET), routed=False)
    run(ops.reject_case, RejectCase(rejected["report"]["id"], "op", "not ours"), 1)
    return made


def _kpis(api, headers, path, **query):
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    params = {"from": today, "to": today, "within": STREET, **query}
    resp = api.get(f"/api/v1/stats/{path}", query_string=params, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


EXPECTED = {
    "cases": 5, "closed": 3, "closure_rate": 0.6, "due_for_closure": 3, "postponed": 0,
    "closed_on_time": 2, "on_time_closure_rate": 2 / 3, "resolutions": 4,
    "failed_verifications": 1, "rework_rate": 0.25, "dispatched": 5, "extension_rate": 0.2,
    "acknowledge_median": 6.5 * 60, "acknowledge_p90": 20 * 60,
    "resolve_median": 130 * 60, "resolve_p90": 200 * 60,
    "rated": 2, "satisfied": 1, "basically_satisfied": 1, "dissatisfied": 0,
    "satisfaction_rate": 1.0, "full_satisfaction_rate": 0.5,
}  # fmt: skip


def _check(kpis):
    for name, value in EXPECTED.items():
        assert kpis[name] == pytest.approx(value), name


def test_kpis_per_department(api, login, loop):
    _, operator = login("operator", jurisdiction="330211")
    doc = _kpis(api, operator, "departments")
    # The rejected report's case has no department and is outside the loop: zero figures.
    [water, none] = doc["items"]
    assert none["code"] is None and none["kpis"]["cases"] == 0
    assert water["code"] == "water" and water["name"]["zh"].startswith("镇海区水利局")
    _check(water["kpis"])
    _check(doc["total"])
    _, staff = login("department_staff", department="water")
    _check(_kpis(api, staff, "departments")["total"])
    _, other_staff = login("department_staff", department="greening")
    assert _kpis(api, other_staff, "departments")["total"]["cases"] == 0


def test_kpis_per_jurisdiction_in_the_callers_scope(api, login, loop):
    _, operator = login("operator", jurisdiction=STREET)
    doc = _kpis(api, operator, "jurisdictions", level="street")
    [street] = doc["items"]
    assert street["code"] == STREET
    _check(street["kpis"])
    communities = _kpis(api, operator, "jurisdictions", level="community")["items"]
    assert sum(row["kpis"]["cases"] for row in communities) == 5
    _, elsewhere = login("operator", jurisdiction="330211009")
    assert _kpis(api, elsewhere, "jurisdictions")["items"] == []
    _, worker = login("grid_worker", cells=(loop["A"]["cell_code"],))
    assert api.get("/api/v1/stats/departments?from=2025-01-01&to=2025-01-02",
                   headers=worker).status_code == 403  # fmt: skip


def test_kpis_in_working_time(api, login, loop):
    _, operator = login("operator", jurisdiction="330211")
    clock = _kpis(api, operator, "departments")["total"]
    working = _kpis(api, operator, "departments", time="working")["total"]
    assert working["acknowledge_p90"] <= clock["acknowledge_p90"]
    assert working["closure_rate"] == clock["closure_rate"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2025-02-01", "to": "2025-01-01"}, "to"),
        ({"from": "2025-13-01", "to": "2025-01-01"}, "from"),
        ({"to": "2025-01-01"}, "from"),
        ({"from": "2020-01-01", "to": "2025-01-01"}, "to"),
        ({"from": "2025-01-01", "to": "2025-01-02", "within": "33"}, "within"),
        ({"from": "2025-01-01", "to": "2025-01-02", "level": "planet"}, "level"),
    ],
)
def test_a_bad_period_names_the_parameter(api, login, query, field):
    _, operator = login("operator", jurisdiction="330211")
    resp = api.get("/api/v1/stats/jurisdictions", query_string=query, headers=operator)
    assert resp.status_code == 422
    assert resp.get_json()["error"]["field"] == field


def test_the_monthly_ledger_of_a_community(loop, engine, tmp_path):
    community = loop["A"]["community_code"]
    ours = [c for c in loop.values() if c["community_code"] == community]
    month = datetime.now(ZoneInfo("Asia/Shanghai")).date().replace(day=1)
    written = export_ledgers(engine, month, tmp_path, now=datetime.now(UTC),
                             community_codes=[community])  # fmt: skip
    assert sorted(p.name for p in written) == [f"{community}-{month:%Y-%m}.csv",
                                               f"{community}-{month:%Y-%m}.xlsx"]  # fmt: skip
    book = load_workbook(tmp_path / f"{community}-{month:%Y-%m}.xlsx")
    sheet = book["台账"]
    header = [c.value for c in sheet[2]]
    lines = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    by_no = {line[1]: dict(zip(header, line, strict=True)) for line in lines}
    assert set(by_no) >= {c["case_no"] for c in ours}
    a = by_no[loop["A"]["case_no"]]
    assert (a["状态"], a["是否按期"], a["满意度"], a["处置部门"]) == (
        "已结案", "是", "满意", "镇海区水利局（水务）")  # fmt: skip
    if loop["F"]["community_code"] == community:
        assert by_no[loop["F"]["case_no"]]["是否按期"] == "否"
    if loop["B"]["community_code"] == community:
        assert by_no[loop["B"]["case_no"]]["返工次数"] == 1
    summary = {row[0].value: row[2].value for row in book["汇总"].iter_rows(min_row=2)}
    assert summary["案卷数"] == len([c for c in ours])
    with open(tmp_path / f"{community}-{month:%Y-%m}.csv", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0][1] == "案卷号 (Case no.)"
    assert {r[1] for r in rows[1:]} == set(by_no)


def test_gridflow_ledger_export(loop, config, tmp_path):
    from click.testing import CliRunner

    from streams.cli import main
    from tests.processes import config_env

    community = loop["A"]["community_code"]
    month = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    args = ["ledger", "export", "--month", f"{month:%Y-%m}", "--community", community,
            "--format", "csv", "--out", str(tmp_path)]  # fmt: skip
    result = CliRunner().invoke(main, args, env=config_env(config))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(tmp_path / f"{community}-{month:%Y-%m}.csv")
    bad = CliRunner().invoke(main, ["ledger", "export", "--month", "2025-13"],
                             env=config_env(config))  # fmt: skip
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output
