"""The router's log: a JSON line per case it created, with the case and report ids as fields."""

from __future__ import annotations

import io
import json
import logging
import uuid
from types import SimpleNamespace

import pytest

from services.cases.commands import CaseOutcome
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


def test_a_line_per_case_names_its_report_state_and_department(lines):
    reports = [uuid.uuid4() for _ in range(3)]
    cases = [uuid.uuid4() for _ in range(3)]
    outcomes = [
        CaseOutcome(True, cases[0], "dispatched", "police"),
        CaseOutcome(True, cases[1], "merged"),
        CaseOutcome(True, cases[2], "dispatched", "roads"),
    ]
    _log([(SimpleNamespace(report_id=r), o) for r, o in zip(reports, outcomes, strict=True)])
    written = lines()
    assert [(x["case_id"], x["report_id"]) for x in written] == [
        (str(c), str(r)) for c, r in zip(cases, reports, strict=True)
    ]
    assert [x["msg"] for x in written] == [
        f"case {cases[0]} of report {reports[0]}: dispatched → police",
        f"case {cases[1]} of report {reports[1]}: merged",
        f"case {cases[2]} of report {reports[2]}: dispatched → roads",
    ]
    assert all(x["logger"] == "streams.router" and x["level"] == "INFO" for x in written)


def test_a_batch_that_created_nothing_writes_no_line(lines):
    _log([])
    assert lines() == []
