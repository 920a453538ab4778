"""JSON log lines: one object per line, context ids as fields, exceptions kept."""

from __future__ import annotations

import io
import json
import logging
import uuid

from services.observability.logs import JsonFormatter, configure_logging


def _record(**extra) -> logging.LogRecord:
    record = logging.LogRecord("gridflow.test", logging.INFO, __file__, 1, "case %s", ("x",), None)
    for key, val in extra.items():
        setattr(record, key, val)
    return record


def test_a_line_is_one_json_object_with_the_ids_it_is_about():
    line = JsonFormatter().format(_record(case_id="c-1", report_id="r-1", partition=2))
    assert "\n" not in line
    body = json.loads(line)
    assert body["msg"] == "case x"
    assert body["level"] == "INFO" and body["logger"] == "gridflow.test"
    assert body["case_id"] == "c-1" and body["report_id"] == "r-1" and body["partition"] == 2
    assert body["ts"].endswith("+00:00")


def test_fields_not_given_are_left_out_and_unknown_extras_ignored():
    body = json.loads(JsonFormatter().format(_record(secret="no")))
    assert "case_id" not in body and "secret" not in body


def test_an_exception_stays_inside_the_line():
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        import sys

        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert "ValueError: bad" in json.loads(line)["exc"]


def test_configure_logging_writes_json_lines():
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        configure_logging("INFO", stream=stream)
        logging.getLogger("gridflow.x").info("hello", extra={"report_id": "r-9"})
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    lines = stream.getvalue().splitlines()
    assert [json.loads(x)["report_id"] for x in lines] == ["r-9"]


def test_a_message_orjson_refuses_is_still_one_json_line():
    record = _record(case_id="c-3")
    record.msg, record.args = "bad text \udc80 here", ()
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line)["case_id"] == "c-3"


def test_one_call_with_each_writes_a_line_per_item_with_its_own_ids():
    case_id = uuid.UUID("0b5e1c1e-2a34-4d0a-9a51-6f3f2b2b7c01")
    each = [{"msg": "case one", "case_id": case_id, "report_id": "r-1", "secret": "no"},
            {"msg": "case two", "case_id": "c-2", "partition": 3}]  # fmt: skip
    text = JsonFormatter().format(_record(each=each, case_id="call-level"))
    lines = [json.loads(x) for x in text.split("\n")]
    assert [x["msg"] for x in lines] == ["case one", "case two"]
    assert lines[0]["case_id"] == str(case_id) and lines[0]["report_id"] == "r-1"
    assert lines[1]["case_id"] == "c-2" and lines[1]["partition"] == 3
    assert "report_id" not in lines[1] and "secret" not in lines[0]
    assert all(x["level"] == "INFO" and x["logger"] == "gridflow.test" for x in lines)
    assert lines[0]["ts"] == lines[1]["ts"]


def test_a_line_orjson_refuses_is_still_written():
    body = json.loads(JsonFormatter().format(_record(case_id="\ud800", count=2**70)))
    assert body["case_id"] == "\ud800" and body["count"] == 2**70
