"""The catalog as the YAML file `gridflow catalog load` reads (services/store/categories.yaml):
family → big class → small class with its names, priority, limits, admission flag,
duplicate radius/window and extra questions. Read into `category` rows, and written back from
them: what `dump` writes, `parse` reads back the same.

A small class's `questions` is a list of {code, text_zh, text_en, kind, choices, required}, as
the admin API takes them (services.catalog.schemas.QuestionIn) and checked by the same rule
(services.domain.questions); `questions: []` removes them, a class without the key keeps its
own."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError

from services.catalog.schemas import QuestionIn
from services.domain.questions import QuestionError, check_questions
from services.store.catalog import FAMILY_DIGIT, catalog_rows_of

FAMILY_OF_DIGIT = {digit: family for family, digit in FAMILY_DIGIT.items()}
PRIORITIES = ("urgent", "normal")
HEADER = (
    "# The category catalog (部件 components and 事件 events): big class → small class, as\n"
    "# `gridflow catalog load` reads it. ack/resolve: working minutes; clock: around the clock;\n"
    "# community: on the admission list (准入); dup: duplicate radius (m) and window (minutes);\n"
    "# questions: extra questions a report answers (kind text or choice; [] removes them).\n"
)


class CatalogFileError(ValueError):
    """The file is no catalog; the message says where, `field` (when known) names the entry at
    fault as `<category code>.questions[<i>].<key>`."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def parse(text: str) -> list[dict[str, Any]]:
    """The `category` rows of a catalog YAML document. Raises CatalogFileError."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogFileError(f"not YAML: {exc}") from exc
    if not isinstance(data, dict) or not set(data) <= set(FAMILY_DIGIT):
        raise CatalogFileError(f"the top level must be {' and/or '.join(FAMILY_DIGIT)}")
    try:
        rows = catalog_rows_of(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CatalogFileError(f"malformed entry ({type(exc).__name__}: {exc})") from exc
    for row in rows:
        problem = _problem(row)
        if problem:
            raise CatalogFileError(f"category {row['code']}: {problem}")
        if "questions" in row:
            row["questions"] = _questions(row["code"], row["questions"])
    return rows


def _questions(code: str, questions: Any) -> list[dict[str, Any]]:
    """A class's `questions` as stored. Raises CatalogFileError naming the question's key."""
    if not isinstance(questions, list):
        raise CatalogFileError(f"category {code}: questions must be a list", f"{code}.questions")
    checked = []
    for i, question in enumerate(questions):
        try:
            checked.append(QuestionIn.model_validate(question).model_dump())
        except ValidationError as exc:
            first = exc.errors()[0]
            key = ".".join(str(part) for part in first["loc"])
            at = f"questions[{i}]" + (f".{key}" if key else "")
            message = f"category {code}: {at}: {first['msg']}"
            raise CatalogFileError(message, f"{code}.{at}") from exc
    try:
        return check_questions(checked)
    except QuestionError as exc:
        raise CatalogFileError(f"category {code}: {exc.field}: {exc.message}",
                               f"{code}.{exc.field}") from exc  # fmt: skip


def _problem(row: dict[str, Any]) -> str | None:
    if len(row["code"]) != 6 or not row["code"].isdigit():
        return "big class: 2 digits, small class: 3"
    if row["priority"] not in PRIORITIES:
        return f"priority must be one of {', '.join(PRIORITIES)}"
    for key in ("ack_limit_minutes", "resolve_limit_minutes", "duplicate_radius_m",
                "duplicate_window_minutes"):  # fmt: skip
        if row[key] <= 0:
            return f"{key} must be positive"
    if not row["name_zh"]:
        return "name_zh is empty"
    return None


def dump(rows: list[dict[str, Any]]) -> str:
    """The catalog YAML of these `category` rows (what `parse` reads back)."""
    data: dict[str, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: r["code"]):
        family = data.setdefault(FAMILY_OF_DIGIT[row["code"][0]], {})
        big = family.setdefault(
            row["big_class"], {"zh": row["big_class_zh"], "en": row["big_class_en"], "classes": {}}
        )
        entry: dict[str, Any] = {
            "zh": row["name_zh"], "en": row["name_en"], "priority": row["priority"],
            "ack": row["ack_limit_minutes"], "resolve": row["resolve_limit_minutes"],
        }  # fmt: skip
        if row["around_the_clock"]:
            entry["clock"] = True
        if row["community_admissible"]:
            entry["community"] = True
        entry["dup"] = [row["duplicate_radius_m"], row["duplicate_window_minutes"]]
        if row.get("questions"):
            entry["questions"] = [_question_entry(q) for q in row["questions"]]
        big["classes"][row["code"][3:]] = entry
    return HEADER + yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _question_entry(question: dict[str, Any]) -> dict[str, Any]:
    entry = {k: question[k] for k in ("code", "text_zh", "text_en", "kind")}
    if question["kind"] == "choice":
        entry["choices"] = list(question["choices"])
    entry["required"] = bool(question["required"])
    return entry
