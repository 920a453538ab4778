"""The answers a report gives its category's extra questions, checked against the catalog
(services.domain.questions) before the report is captured; kept in its `attributes`.

Every phone report is checked, so the categories' questions are read once for all of them and
kept QUESTIONS_TTL_S (a read per report was a third of the API process's time at 100 reports/s:
a pooled connection, a statement and its rollback). An admin's change to a category's
questions applies to reports within that time (at once in the process that made it).
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any

from sqlalchemy import Engine

from services.domain.questions import check_answers
from services.store.catalog import questions_by_category

QUESTIONS_TTL_S = 10.0
_held: weakref.WeakKeyDictionary[Engine, tuple[float, dict[str, list]]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def checked_answers(engine: Engine, category_code: str, answers: dict[str, Any]) -> dict[str, str]:
    """The answers to keep for a report of this category. Raises QuestionError naming the
    question; a category that does not exist asks nothing (capture refuses it itself)."""
    return check_answers(_questions(engine).get(category_code, []), answers)


def _questions(engine: Engine) -> dict[str, list]:
    held = _held.get(engine)
    if held is not None and time.monotonic() - held[0] < QUESTIONS_TTL_S:
        return held[1]
    with _lock:  # one read when the held questions run out, whatever the number of requests
        held = _held.get(engine)
        if held is None or time.monotonic() - held[0] >= QUESTIONS_TTL_S:
            with engine.connect() as conn:
                held = (time.monotonic(), questions_by_category(conn))
            _held[engine] = held
    return held[1]


def forget_questions(engine: Engine) -> None:
    """The questions are read again at the next report (after this process changed them)."""
    _held.pop(engine, None)
