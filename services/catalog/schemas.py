"""The catalog as the API shows it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.domain.questions import MAX_CHOICES, MAX_QUESTIONS, MAX_TEXT
from services.store.catalog import Category


class QuestionIn(BaseModel):
    """An extra question of a category: free text or one answer of a list."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=32, description="the answer's key, e.g. depth")
    text_zh: str = Field(min_length=1, max_length=MAX_TEXT)
    text_en: str = Field("", max_length=MAX_TEXT)
    kind: Literal["text", "choice"]
    choices: list[str] = Field(default_factory=list, max_length=MAX_CHOICES)
    required: bool = False


class QuestionsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    questions: list[QuestionIn] = Field(max_length=MAX_QUESTIONS)


class QuestionOut(BaseModel):
    code: str
    text_zh: str
    text_en: str
    kind: Literal["text", "choice"]
    choices: list[str]
    required: bool


class CategoryOut(BaseModel):
    code: str
    family: Literal["component", "event"]
    big_class: str
    big_class_zh: str
    big_class_en: str
    name_zh: str
    name_en: str
    priority: Literal["normal", "urgent"]
    ack_limit_minutes: int
    resolve_limit_minutes: int
    around_the_clock: bool
    community_admissible: bool
    duplicate_radius_m: int
    duplicate_window_minutes: int
    questions: list[QuestionOut] = Field(
        default_factory=list, description="extra questions a report of it answers, in order"
    )


class CategoryList(BaseModel):
    items: list[CategoryOut]


def category_out(category: Category) -> CategoryOut:
    return CategoryOut(**category.__dict__)
