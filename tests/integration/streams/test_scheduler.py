"""The SLA sweeper: warnings at 80 % of a limit, overdue marks at the due time, one
escalation level per further limit; idempotent; one active sweep however many schedulers run
(PostgreSQL advisory lock), including two real `gridflow scheduler` processes."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from services.calendars import calendars_from_config
from services.cases.sweep import SWEEP_LOCK, sweep
from services.config import Config
from tests.integration.services.accounts import signed_in
from tests.integration.services.handling.loop import CaseMaker
from tests.processes import GridflowProcess

CST = ZoneInfo("Asia/Shanghai")
# Long before anything else in the test database was dispatched, so sweeping at these
# instants touches no other test's case.
T0 = datetime(2025, 1, 6, 10, 0, tzinfo=CST)
MINUTE = timedelta(minutes=1)
FLAGS = ("CaseWarned", "CaseOverdue", "CaseEscalated")


@pytest.fixture()
def maker(api, engine, demo_rules):
    def login(role, **scope):
        return signed_in(api, engine, role, **scope)

    return CaseMaker(api, engine, login, clock=lambda: T0)


def _flags(maker, case_id):
    return [
        (e["type"], e["payload"].get("limit"), e["payload"].get("level"), e["actor"])
        for e in maker.events(case_id)
        if e["type"] in FLAGS
    ]


def test_warn_overdue_and_escalate_at_the_right_instants(maker, engine):
    # 上水井盖 (around the clock): acknowledge within 10 min, resolve within 120 min.
    case = maker.case("101001")
    assert (case["ack_due"], case["resolve_due"]) == (T0 + 10 * MINUTE, T0 + 120 * MINUTE)
    calendars = calendars_from_config(Config())

    def at(minutes):
        sweep(engine, calendars=calendars, now=T0 + minutes * MINUTE)
        return _flags(maker, case["id"])

    assert at(7.9) == []
    assert at(8) == [("CaseWarned", "acknowledge", None, None)]
    assert at(9) == [("CaseWarned", "acknowledge", None, None)]
    assert at(10)[1:] == [("CaseOverdue", "acknowledge", None, None)]
    assert at(19.9)[2:] == []
    assert at(20)[2:] == [("CaseEscalated", None, 1, None)]
    assert at(30)[3:] == [("CaseEscalated", None, 2, None)]
    assert at(96)[4:] == [("CaseWarned", "resolve", None, None)]
    assert at(120)[5:] == [("CaseOverdue", "resolve", None, None)]
    assert at(500)[6:] == []  # the top level is the district
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT ack_overdue, resolve_overdue, escalation_level FROM case_file "
                 "WHERE id = :c"), {"c": case["id"]},
        ).one()  # fmt: skip
    assert tuple(row) == (True, True, 2)
    [escalated] = [e for e in maker.events(case["id"]) if e["type"] == "CaseEscalated"][1:]
    assert "district" in escalated["payload"]["reason"]


def test_a_sweep_waits_for_no_one_and_skips_while_another_holds_the_lock(maker, engine):
    case = maker.case("101002")
    calendars = calendars_from_config(Config())
    with engine.connect() as other:
        assert other.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": SWEEP_LOCK}).scalar()
        try:
            assert sweep(engine, calendars=calendars, now=T0 + 15 * MINUTE) is None
            assert _flags(maker, case["id"]) == []
        finally:
            other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SWEEP_LOCK})
            other.commit()
    report = sweep(engine, calendars=calendars, now=T0 + 15 * MINUTE)
    assert report is not None and report.failed == 0
    assert [f[0] for f in _flags(maker, case["id"])] == ["CaseOverdue"]


def test_two_scheduler_processes_sweep_once(maker, engine, topics):
    # Dispatched long ago: every limit is far behind, so the first sweep does everything.
    case = maker.case("101003")
    config = topics.with_(sla_sweep_interval_s=0.3)
    procs = [GridflowProcess(f"scheduler-{i}", ["scheduler"], config) for i in (1, 2)]
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if len(_flags(maker, case["id"])) >= 4:
                break
            time.sleep(0.3)
        time.sleep(3)  # both keep sweeping, many times over
        for proc in procs:
            assert proc.proc.poll() is None, proc.output()
    finally:
        codes = [proc.stop() for proc in procs]
    assert codes == [0, 0], [p.output() for p in procs]
    assert sorted(f[:3] for f in _flags(maker, case["id"])) == [
        ("CaseEscalated", None, 1), ("CaseEscalated", None, 2),
        ("CaseOverdue", "acknowledge", None), ("CaseOverdue", "resolve", None),
    ]  # fmt: skip


def test_the_daily_ledger_job_writes_this_month_once_at_a_time(maker, engine, topics, tmp_path):
    from streams.scheduler import LEDGER_LOCK, ledger_job

    case = maker.case("101004")
    config = topics.with_(ledger_dir=str(tmp_path))
    # On the 1st of the next month the job also rewrites this month, so its last day is in.
    this_month = datetime.now(CST).date().replace(day=1)
    next_month = (this_month + timedelta(days=32)).replace(day=1)
    clock = lambda: datetime.combine(next_month, datetime.min.time(), CST) + 60 * MINUTE  # noqa: E731
    with engine.connect() as other:
        assert other.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEDGER_LOCK}).scalar()
        try:
            assert ledger_job(engine, config, clock) is None
        finally:
            other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LEDGER_LOCK})
            other.commit()
    written = ledger_job(engine, config, clock)
    community = case["community_code"]
    assert tmp_path / f"{community}-{this_month:%Y-%m}.xlsx" in written
    assert tmp_path / f"{community}-{this_month:%Y-%m}.csv" in written
    assert all(p.is_file() for p in written)


def test_the_rollup_job_folds_the_pending_differences_into_the_month_sums(maker, engine, topics):
    from services.store.rollup import kept_and_recomputed
    from streams.scheduler import rollup_job

    case = maker.case("101004")
    mine = f"c.district_code = '{case['district_code']}'"
    with engine.connect() as conn:
        pending = f"SELECT count(*) FROM case_rollup_delta c WHERE {mine}"
        assert conn.execute(text(pending)).scalar() > 0  # the case's writes, not yet folded
    assert rollup_job(engine, topics) > 0
    with engine.connect() as conn:
        assert conn.execute(text(pending)).scalar() == 0
        kept, recomputed = kept_and_recomputed(conn, mine)
        assert kept == recomputed and kept


def test_gridflow_scheduler_once(topics, tmp_path, demo_rules):
    from click.testing import CliRunner

    from streams.cli import main
    from tests.processes import config_env

    env = config_env(topics.with_(ledger_dir=str(tmp_path)))
    result = CliRunner().invoke(main, ["scheduler", "--once", "--ledgers"], env=env)
    assert result.exit_code == 0, result.output
    assert "swept" in result.output and "ledger files" in result.output
