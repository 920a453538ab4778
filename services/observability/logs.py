"""Structured logs: one JSON object per line, with the case or report id where there is one.

A log call names the things it is about through `extra`:

    log.info("case registered", extra={"case_id": case_id, "report_id": report_id})

and the line carries them as top-level fields next to the time, level, logger and message, so a
log store can find every line about one case or report. Many such lines can come from one log
call, as the router writes a line per case of a batch:

    log.info("%d cases", n, extra={"each": [{"msg": "case …", "case_id": …}, …]})

writes one line per item of `each`, with the call's time, level and logger and the item's
message and context fields (and no line for the call itself).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

# Record attributes copied to the JSON line when a log call passes them in `extra`.
CONTEXT_FIELDS = (
    "case_id",
    "report_id",
    "event_id",
    "worker_id",
    "processor",
    "topic",
    "partition",
    "offset",
    "method",
    "path",
    "endpoint",
    "status",
    "duration_ms",
    "user_id",
    "count",
)
# Context values written as they are; any other value is written as its `str`.
_AS_IS = (int, float, bool)


class JsonFormatter(logging.Formatter):
    """Formats a record as one line of JSON: ts, level, logger, msg, context fields, exc."""

    def format(self, record: logging.LogRecord) -> str:
        head = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        each = getattr(record, "each", None)
        if each is not None:  # one line per item, none for the call
            return "\n".join(_dumps(_with_context({**head, "msg": str(item.get("msg"))}, item))
                             for item in each)  # fmt: skip
        line = _with_context({**head, "msg": record.getMessage()}, record.__dict__)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return _dumps(line)


def _with_context(line: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    for name in CONTEXT_FIELDS:
        value = given.get(name)
        if value is not None:
            line[name] = value if isinstance(value, _AS_IS) else str(value)
    return line


def _dumps(line: dict[str, Any]) -> str:
    try:
        return orjson.dumps(line).decode()
    except TypeError:  # text orjson refuses (a lone surrogate) or an integer past 64 bits
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


def configure_logging(level: str = "INFO", stream: Any = None) -> None:
    """Sends every log record of this process to `stream` (stderr) as one JSON line.

    Called once by each process's entry point (serve, relay, router, scheduler); replaces any
    handler already on the root logger so no line is written twice or as plain text."""
    # A record would look up its thread, process and multiprocessing names: no line shows them.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    # The Kafka client logs every reconnect attempt at INFO/WARNING; keep its errors only.
    logging.getLogger("kafka").setLevel(logging.ERROR)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
