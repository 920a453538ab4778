"""A category's extra questions and the answers a report gives them: what an admin may define
(`check_questions`) and what a report may answer (`check_answers`). Standard library only.

A question is a dict {code, text_zh, text_en, kind, choices, required}: `kind` "text" (free
text) or "choice" (one of `choices`). Answers are {code: text}, kept in the report's
attributes, where Open311's own attributes live too: their codes are `RESERVED`.
"""

from __future__ import annotations

import re
from typing import Any

KINDS = ("text", "choice")
CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
RESERVED = frozenset({"landmark", "occurred_at", "ongoing", "media_url", "device_id",
                      "account_id", "address_id"})  # fmt: skip
MAX_QUESTIONS = 10
MAX_CHOICES = 20
MAX_TEXT = 200  # a question's wording, a choice
MAX_ANSWER = 500


class QuestionError(ValueError):
    """A question or an answer is not acceptable; `field` names it (a dotted path)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def check_questions(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The questions as stored (text trimmed, choices only for a choice). Raises QuestionError
    naming `questions[<i>].<key>`."""
    if len(questions) > MAX_QUESTIONS:
        raise QuestionError("questions", f"at most {MAX_QUESTIONS} questions")
    seen: set[str] = set()
    clean = []
    for i, q in enumerate(questions):
        at = f"questions[{i}]"
        code = q["code"]
        if not CODE.match(code):
            raise QuestionError(f"{at}.code", "lower-case letters, digits and _, from a letter")
        if code in RESERVED or code in seen:
            raise QuestionError(f"{at}.code", f"the code {code!r} is taken")
        seen.add(code)
        text_zh, text_en = q["text_zh"].strip(), q.get("text_en", "").strip()
        if not text_zh or len(text_zh) > MAX_TEXT or len(text_en) > MAX_TEXT:
            raise QuestionError(f"{at}.text_zh", f"the question: 1 to {MAX_TEXT} characters")
        if q["kind"] not in KINDS:
            raise QuestionError(f"{at}.kind", f"one of {', '.join(KINDS)}")
        choices = [c.strip() for c in q.get("choices") or []] if q["kind"] == "choice" else []
        if q["kind"] == "choice" and not 2 <= len(choices) <= MAX_CHOICES:
            raise QuestionError(f"{at}.choices", f"a choice needs 2 to {MAX_CHOICES} answers")
        if any(not c or len(c) > MAX_TEXT for c in choices) or len(set(choices)) < len(choices):
            raise QuestionError(f"{at}.choices", "each answer once, 1 to 200 characters")
        clean.append({"code": code, "text_zh": text_zh, "text_en": text_en, "kind": q["kind"],
                      "choices": choices, "required": bool(q["required"])})  # fmt: skip
    return clean


def check_answers(questions: list[dict[str, Any]], answers: dict[str, Any]) -> dict[str, str]:
    """The answers to keep (trimmed, empty ones dropped). Raises QuestionError naming
    `<code>`: an answer to no question, a text too long, a choice not on the list, a required
    question unanswered."""
    asked = {q["code"]: q for q in questions}
    kept: dict[str, str] = {}
    for code, value in answers.items():
        question = asked.get(code)
        if question is None:
            raise QuestionError(code, "this category asks no such question")
        if not isinstance(value, str):
            raise QuestionError(code, "the answer must be text")
        value = value.strip()
        if len(value) > MAX_ANSWER:
            raise QuestionError(code, f"at most {MAX_ANSWER} characters")
        if value and question["kind"] == "choice" and value not in question["choices"]:
            raise QuestionError(code, f"must be one of: {', '.join(question['choices'])}")
        if value:
            kept[code] = value
    for q in questions:
        if q["required"] and q["code"] not in kept:
            raise QuestionError(q["code"], f"required: {q['text_zh']}")
    return kept


def answered(questions: list[dict[str, Any]], attributes: dict[str, Any]) -> list[dict[str, str]]:
    """The answers a report's `attributes` hold, as shown beside its case: one
    {code, text_zh, text_en, answer} per answered question in the category's order, then
    answers to questions the category no longer asks (worded by their code). Open311's own
    attributes (`RESERVED`) are no answers."""
    asked = {q["code"]: q for q in questions}
    shown = [
        {"code": q["code"], "text_zh": q["text_zh"], "text_en": q.get("text_en") or q["text_zh"],
         "answer": str(attributes[q["code"]])}
        for q in questions if attributes.get(q["code"]) not in (None, "")
    ]  # fmt: skip
    for code, value in sorted(attributes.items()):
        if code not in asked and code not in RESERVED and value not in (None, ""):
            shown.append({"code": code, "text_zh": code, "text_en": code, "answer": str(value)})
    return shown
