"""Which cases a reader may see, as plain values, and the SQL condition it is.

The rooms above the store (the API's views, the live feed) decide a reader's scope from who
they are (`Scope.place`, `Scope.department`, …); the store alone turns it into SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Scope:
    """`kind` is "all", "none", "district", "street", "community", "cell", "department" or
    "cells"; `codes` the place's or the department's code (one) or the cell codes."""

    kind: str
    codes: tuple[str, ...] = ()

    @classmethod
    def place(cls, code: str) -> Scope:
        """A district (6 digits), a street (9, an operator's place is one or the other), a
        community (12) or a cell (15) and everything in it."""
        return cls(_PLACES.get(len(code), "street"), (code,))


_PLACES = {6: "district", 9: "street", 12: "community", 15: "cell"}


ALL = Scope("all")
NOTHING = Scope("none")


def scope_sql(scope: Scope, alias: str = "c", name: str = "scope") -> tuple[str, dict[str, Any]]:
    """A SQL condition over a case_file alias limiting rows to `scope`, and its parameters
    (named `<name>_code`, `<name>_dept` and `<name>_cells`)."""
    if scope.kind == "all":
        return "TRUE", {}
    if scope.kind in _PLACES.values():
        return f"{alias}.{scope.kind}_code = :{name}_code", {f"{name}_code": scope.codes[0]}
    if scope.kind == "department":
        return f"{alias}.department_code = :{name}_dept", {f"{name}_dept": scope.codes[0]}
    if scope.kind == "cells":
        return f"{alias}.cell_code = ANY(:{name}_cells)", {f"{name}_cells": sorted(scope.codes)}
    return "FALSE", {}


def all_of(scopes: list[Scope], alias: str = "c") -> tuple[str, dict[str, Any]]:
    """The cases in every one of `scopes` (all cases for none), as `scope_sql` gives one."""
    conditions, params = [], {}
    for i, scope in enumerate(scopes):
        condition, named = scope_sql(scope, alias, f"scope{i}" if i else "scope")
        conditions.append(condition)
        params.update(named)
    return " AND ".join(conditions) or "TRUE", params
