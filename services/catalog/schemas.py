"""The catalog as the API shows it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from services.store.catalog import Category


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


class CategoryList(BaseModel):
    items: list[CategoryOut]


def category_out(category: Category) -> CategoryOut:
    return CategoryOut(**category.__dict__)
