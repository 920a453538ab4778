"""The answers a report gives its category's extra questions, checked against the catalog
(services.domain.questions) before the report is captured; kept in its `attributes`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from services.domain.questions import check_answers
from services.store.catalog import get_category


def checked_answers(engine: Engine, category_code: str, answers: dict[str, Any]) -> dict[str, str]:
    """The answers to keep for a report of this category. Raises QuestionError naming the
    question; a category that does not exist asks nothing (capture refuses it itself)."""
    with engine.connect() as conn:
        category = get_category(conn, category_code)
    return check_answers(list(category.questions) if category else [], answers)
