"""Importing grid workers and their cells from a roster CSV.

Columns (header row required): username, display_name, phone, cells, password.
`cells` holds 15-digit cell codes separated by spaces, ';' or '|'. An empty password makes a
random one (returned so it can be handed out). Existing workers get their name, phone and cells
updated; their password is kept.
"""

from __future__ import annotations

import csv
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection

from services.auth.principal import GRID_WORKER
from services.auth.users import AccountError, NewAccount, create_user
from services.store import accounts
from services.store.accounts import set_cells

_SPLIT = re.compile(r"[\s;|,]+")
REQUIRED = ("username", "cells")


@dataclass(frozen=True)
class RosterResult:
    created: dict[str, str]  # username → password (as given or generated)
    updated: list[str]


class RosterError(ValueError):
    """A roster row is invalid; nothing of the roster was imported."""


def parse_roster(lines: Iterable[str]) -> list[dict[str, str]]:
    """Rows of the CSV as dicts, checked for the required columns."""
    reader = csv.DictReader(lines)
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or ())]
    if missing:
        raise RosterError(f"the roster lacks the column(s): {', '.join(missing)}")
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


def import_roster(
    conn: Connection, rows: list[dict[str, str]], *, development: bool
) -> RosterResult:
    """Creates or updates one grid worker per row in the caller's transaction (all or nothing)."""
    created: dict[str, str] = {}
    updated: list[str] = []
    for line, row in enumerate(rows, start=2):
        cells = tuple(c for c in _SPLIT.split(row.get("cells", "")) if c)
        username = row.get("username", "")
        existing = accounts.account_role(conn, username)
        password = row.get("password") or secrets.token_urlsafe(12)
        account = NewAccount(
            username, password, GRID_WORKER, row.get("display_name", ""), row.get("phone") or None,
            cells,
        )  # fmt: skip
        try:
            if existing is None:
                create_user(conn, account, development=development)
                created[username] = password
                continue
            if existing.role != GRID_WORKER:
                raise AccountError("username", f"{username!r} exists and is not a grid worker")
            account.validate(development=True)
        except AccountError as exc:
            raise RosterError(f"line {line}: {exc.field}: {exc.message}") from exc
        accounts.update_contact(conn, existing.id, account.display_name, account.phone)
        set_cells(conn, existing.id, cells)
        updated.append(username)
    return RosterResult(created, updated)
