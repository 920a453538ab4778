"""Jurisdiction and cell codes: district (6 digits) → street (+3) → community (+3) → cell (+3).

A 15-digit cell code such as `330211001002015` is district 330211, street 330211001, community
330211001002 and cell 015 of that community.
"""

from __future__ import annotations

import re

LEVEL_LENGTH = {"district": 6, "street": 9, "community": 12, "cell": 15}
LEVEL_OF_LENGTH = {length: level for level, length in LEVEL_LENGTH.items()}
PARENT_LEVEL = {"street": "district", "community": "street", "cell": "community"}
_DIGITS = re.compile(r"^[0-9]+$")


def is_code(code: object, level: str) -> bool:
    """True when `code` is a string of exactly the digits `level` needs."""
    return isinstance(code, str) and len(code) == LEVEL_LENGTH[level] and bool(_DIGITS.match(code))


def parent_code(code: str) -> str | None:
    """The code of the jurisdiction directly above (None for a district)."""
    return code[:-3] if len(code) > 6 else None


def ancestors(cell_code: str) -> tuple[str, str, str]:
    """(community, street, district) codes of a 15-digit cell code."""
    return cell_code[:12], cell_code[:9], cell_code[:6]


def child_code(parent: str, number: int) -> str:
    """The code of the `number`-th child (1…999) of `parent`."""
    if not 1 <= number <= 999:
        raise ValueError(f"a jurisdiction has at most 999 children, not {number}")
    return f"{parent}{number:03d}"
