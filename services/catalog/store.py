"""Reading the category catalog."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from services.catalog.seed import COLUMNS


@dataclass(frozen=True)
class Category:
    """A small class of the catalog: what a report is about, and its default limits."""

    code: str
    family: str
    big_class: str
    big_class_zh: str
    big_class_en: str
    name_zh: str
    name_en: str
    priority: str
    ack_limit_minutes: int
    resolve_limit_minutes: int
    around_the_clock: bool
    community_admissible: bool
    duplicate_radius_m: int
    duplicate_window_minutes: int


_SELECT = f"SELECT {', '.join(COLUMNS)} FROM category WHERE active"


def list_categories(conn: Connection, family: str | None = None) -> list[Category]:
    """Active categories ordered by code, optionally of one family."""
    sql = _SELECT + (" AND family = :family" if family else "") + " ORDER BY code"
    rows = conn.execute(text(sql), {"family": family}).mappings()
    return [Category(**row) for row in rows]


def get_category(conn: Connection, code: str) -> Category | None:
    """The active category with this code, or None."""
    row = conn.execute(text(_SELECT + " AND code = :code"), {"code": code}).mappings().first()
    return Category(**row) if row else None
