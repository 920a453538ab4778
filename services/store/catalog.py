"""The category catalog in the database: reading it (`list_categories`, `get_category`), and
its seed shipped beside this module (categories.yaml) read into table rows and upserted —
by migration 0004 (first seed) and by `gridflow catalog load` (upsert after edits).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, text

SEED_FILE = Path(__file__).with_name("categories.yaml")
FAMILY_DIGIT = {"component": "1", "event": "2"}
COLUMNS = (
    "code",
    "family",
    "big_class",
    "big_class_zh",
    "big_class_en",
    "name_zh",
    "name_en",
    "priority",
    "ack_limit_minutes",
    "resolve_limit_minutes",
    "around_the_clock",
    "community_admissible",
    "duplicate_radius_m",
    "duplicate_window_minutes",
)


def catalog_rows(path: Path = SEED_FILE) -> list[dict[str, Any]]:
    """Every small class of the catalog file as a `category` row (a dict keyed by column)."""
    return catalog_rows_of(yaml.safe_load(path.read_text(encoding="utf-8")))


def catalog_rows_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every small class of a catalog document (the YAML of categories.yaml, parsed) as a
    `category` row. Raises KeyError, TypeError or ValueError for a malformed document."""
    rows: list[dict[str, Any]] = []
    for family, big_classes in data.items():
        for big, big_entry in big_classes.items():
            for small, entry in big_entry["classes"].items():
                radius, window = entry.get("dup", (50, 1440))
                rows.append(
                    {
                        "code": f"{FAMILY_DIGIT[family]}{big}{small}",
                        "family": family,
                        "big_class": big,
                        "big_class_zh": big_entry["zh"],
                        "big_class_en": big_entry["en"],
                        "name_zh": entry["zh"],
                        "name_en": entry["en"],
                        "priority": entry["priority"],
                        "ack_limit_minutes": int(entry["ack"]),
                        "resolve_limit_minutes": int(entry["resolve"]),
                        "around_the_clock": bool(entry.get("clock", False)),
                        "community_admissible": bool(entry.get("community", False)),
                        "duplicate_radius_m": int(radius),
                        "duplicate_window_minutes": int(window),
                    }
                    # Extra questions as written (checked by services.catalog.yamlfile); a class
                    # without the key keeps the questions it has.
                    | ({"questions": entry["questions"]} if "questions" in entry else {})
                )
    return rows


UPSERT = text(
    f"INSERT INTO category ({', '.join(COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in COLUMNS)}) "
    "ON CONFLICT (code) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS if c != "code")
    + ", active = true"
)


def load_catalog(conn: Connection, path: Path = SEED_FILE) -> int:
    """Upserts the catalog file into `category` in the caller's transaction; returns the count."""
    rows = catalog_rows(path)
    conn.execute(UPSERT, rows)
    return len(rows)


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
    # Extra questions a report answers (services.domain.questions), in order.
    questions: tuple[dict[str, Any], ...] = ()


# The YAML file's COLUMNS and the admin's extra questions (kept when the file is loaded).
_SELECT = f"SELECT {', '.join(COLUMNS)}, questions FROM category WHERE active"


def list_categories(conn: Connection, family: str | None = None) -> list[Category]:
    """Active categories ordered by code, optionally of one family."""
    sql = _SELECT + (" AND family = :family" if family else "") + " ORDER BY code"
    rows = conn.execute(text(sql), {"family": family}).mappings()
    return [_category(row) for row in rows]


def _category(row) -> Category:
    return Category(**{**row, "questions": tuple(row["questions"])})


def get_category(conn: Connection, code: str) -> Category | None:
    """The active category with this code, or None."""
    row = conn.execute(text(_SELECT + " AND code = :code"), {"code": code}).mappings().first()
    return _category(row) if row else None


def questions_by_category(conn: Connection) -> dict[str, list[dict[str, Any]]]:
    """Every active category's code → its extra questions, in order."""
    rows = conn.execute(text("SELECT code, questions FROM category WHERE active"))
    return {code: list(questions) for code, questions in rows}


def community_admissibility(conn: Connection) -> dict[str, bool]:
    """Every category's code (deactivated ones included) → whether a community committee may
    receive it."""
    rows = conn.execute(text("SELECT code, community_admissible FROM category"))
    return {code: admissible for code, admissible in rows}


def active_categories(conn: Connection) -> list[Any]:
    """(code, name_zh) of every active category."""
    return conn.execute(text("SELECT code, name_zh FROM category WHERE active")).all()


TERMS = ("name_zh", "name_en", "priority", "ack_limit_minutes", "resolve_limit_minutes",
         "around_the_clock", "community_admissible", "duplicate_radius_m",
         "duplicate_window_minutes")  # fmt: skip


def category_rows(conn: Connection) -> list[dict[str, Any]]:
    """Every active category as a row of COLUMNS, by code."""
    rows = conn.execute(text(_SELECT + " ORDER BY code")).mappings()
    return [dict(r) for r in rows]


def update_terms(conn: Connection, code: str, values: dict[str, Any]) -> dict[str, Any] | None:
    """Sets an active category's TERMS (names, priority, limits, admission, duplicate radius and
    window); returns the row as it was, or None when there is no such category."""
    before = conn.execute(
        text(_SELECT + " AND code = :code FOR UPDATE"), {"code": code}
    ).mappings().first()  # fmt: skip
    if before is None:
        return None
    sets = ", ".join(f"{c} = :{c}" for c in TERMS)
    conn.execute(text(f"UPDATE category SET {sets} WHERE code = :code"), {**values, "code": code})
    return dict(before)


def set_questions(conn: Connection, code: str, questions: list[dict[str, Any]]) -> bool:
    """Replaces an active category's extra questions; False when there is no such category."""
    done = conn.execute(
        text("UPDATE category SET questions = CAST(:q AS jsonb) WHERE code = :code AND active"),
        {"q": json.dumps(questions, ensure_ascii=False), "code": code},
    )
    return done.rowcount == 1


def upsert_rows(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Creates or replaces these categories (rows of COLUMNS), active; a row that carries
    `questions` (checked) replaces the category's extra questions, one without keeps them."""
    if rows:
        conn.execute(UPSERT, [{c: row[c] for c in COLUMNS} for row in rows])
    for row in rows:
        if "questions" in row:
            set_questions(conn, row["code"], row["questions"])


def committees_admitting(conn: Connection, code: str) -> list[str]:
    """The community committees whose admission list holds category `code`."""
    return list(
        conn.execute(
            text(
                "SELECT code FROM department WHERE kind = 'community_committee' "
                "AND :c = ANY(admitted_categories) ORDER BY code"
            ),
            {"c": code},
        ).scalars()
    )
