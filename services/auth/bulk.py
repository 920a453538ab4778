"""Accounts imported in bulk from a CSV or XLSX sheet: every row checked first (the same rules
as one account made by hand, plus usernames unique in the sheet and free in the database, and
cells of the current grid); nothing is written unless every row is clean.

Columns (header row required; `username` and `role` needed): username, display_name, phone,
role, cells (codes separated by spaces, ';', ',' or '|'), jurisdiction, department, password
(empty: a one-time password is made). Every imported account must choose its own password at
its first sign-in.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from sqlalchemy import Connection

from services.auth.administration import create_account, one_time_password
from services.auth.passwords import WeakPassword, check_allowed
from services.auth.users import USERNAME, AccountError, NewAccount, check_scope
from services.store import account_admin as store

COLUMNS = ("username", "display_name", "phone", "role", "cells", "jurisdiction", "department",
           "password")  # fmt: skip
REQUIRED = ("username", "role")
MAX_ROWS = 5000
_SPLIT = re.compile(r"[\s;|,]+")


class SheetError(ValueError):
    """The file as a whole cannot be read (format, header, size)."""


@dataclass(frozen=True)
class RowError:
    line: int  # the sheet's line number (the header is line 1)
    field: str
    message: str


def read_sheet(filename: str, data: bytes) -> list[dict[str, str]]:
    """The rows of a .csv (UTF-8, a BOM allowed) or .xlsx file as dicts of stripped text."""
    if filename.lower().endswith(".xlsx"):
        table = _xlsx_rows(data)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SheetError("a CSV file must be UTF-8") from exc
        table = list(csv.reader(io.StringIO(text)))
    if not table:
        raise SheetError("the file is empty")
    header = [h.strip().lower() for h in table[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise SheetError(f"the header lacks the column(s): {', '.join(missing)}")
    if len(table) - 1 > MAX_ROWS:
        raise SheetError(f"at most {MAX_ROWS} rows at once")
    rows = []
    for cells in table[1:]:
        row = {h: (cells[i] if i < len(cells) else "").strip() for i, h in enumerate(header)}
        rows.append(row)
    return rows


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception as exc:  # openpyxl raises many types for a file that is no workbook
        raise SheetError(f"not a readable XLSX workbook ({type(exc).__name__})") from exc
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def _account(row: dict[str, str]) -> NewAccount:
    return NewAccount(
        username=row.get("username", ""),
        password=row.get("password") or one_time_password(),
        role=row.get("role", ""),
        display_name=row.get("display_name", ""),
        phone=row.get("phone") or None,
        cell_codes=tuple(c for c in _SPLIT.split(row.get("cells", "")) if c),
        jurisdiction_code=row.get("jurisdiction") or None,
        department_code=row.get("department") or None,
    )


def check_rows(
    conn: Connection, rows: list[dict[str, str]], *, development: bool
) -> list[RowError]:
    """Every fault of every row (one per row: its first), without writing anything."""
    errors: list[RowError] = []
    accounts = [_account(row) for row in rows]
    taken = store.taken_usernames(conn, [a.username for a in accounts])
    cells = store.current_cells(conn, sorted({c for a in accounts for c in a.cell_codes}))
    seen: set[str] = set()
    for line, account in enumerate(accounts, start=2):
        try:
            if not USERNAME.match(account.username):
                raise AccountError("username", "1-64 letters, digits, '.', '_' or '-'")
            name = account.username.lower()
            if name in taken:
                raise AccountError("username", f"{account.username!r} is taken")
            if name in seen:
                raise AccountError("username", f"{account.username!r} is twice in the file")
            seen.add(name)
            check_scope(account.role, account.cell_codes, account.jurisdiction_code,
                        account.department_code)  # fmt: skip
            unknown = [c for c in account.cell_codes if c not in cells]
            if unknown:
                raise AccountError("cells", f"no current cell {', '.join(unknown)}")
            try:
                check_allowed(account.password, development=development)
            except WeakPassword as exc:
                raise AccountError("password", str(exc)) from exc
        except AccountError as exc:
            errors.append(RowError(line, exc.field, exc.message))
    return errors


def import_rows(
    conn: Connection, rows: list[dict[str, str]], *, development: bool
) -> dict[str, str]:
    """Creates one account per row (call after `check_rows` found nothing); returns each new
    username's one-time password, to hand over."""
    created: dict[str, str] = {}
    for row in rows:
        account = _account(row)
        create_account(conn, account, development=development)
        created[account.username] = account.password
    return created
