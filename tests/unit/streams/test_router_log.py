"""The router's log: one JSON line per batch, naming every case it created with its report."""

from __future__ import annotations

import io
import json
import logging
import uuid
from types import SimpleNamespace

import pytest

from services.dispatch.handlers import CaseOutcome
from services.observability.logs import JsonFormatter
from streams.router import _log


@pytest.fixture
def lines():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("streams.router")
    saved = (logger.level, logger.propagate)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield lambda: [json.loads(x) for x in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def test_one_line_counts_the_batch_by_state_and_names_each_case_and_report(lines):
    reports = [uuid.uuid4() for _ in range(3)]
    cases = [uuid.uuid4() for _ in range(3)]
    outcomes = [
        CaseOutcome(True, cases[0], "dispatched", "police"),
        CaseOutcome(True, cases[1], "merged"),
        CaseOutcome(True, cases[2], "dispatched", "roads"),
    ]
    applied = [(SimpleNamespace(report_id=r), o) for r, o in zip(reports, outcomes, strict=True)]
    _log(applied)
    [line] = lines()
    assert line["msg"] == "3 cases: 2 dispatched, 1 merged"
    assert line["count"] == 3
    assert line["cases"] == [
        {"case_id": str(c), "report_id": str(r), "state": s, "department_code": d}
        for c, r, s, d in zip(cases, reports, ["dispatched", "merged", "dispatched"],
                              ["police", None, "roads"], strict=True)
    ]  # fmt: skip


def test_a_batch_that_created_nothing_writes_no_line(lines):
    _log([])
    assert lines() == []
