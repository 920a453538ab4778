"""Request and response models of the accounts admin API and of a user's own password change."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.auth.principal import ROLES

Role = Literal[ROLES]  # type: ignore[valid-type]  # the roles, from the one place they are defined
CellCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{15}$")]


class AccountQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    q: str | None = Field(None, max_length=64, description="part of the username or name")
    role: Role | None = None
    within: str | None = Field(
        None, pattern=r"^[0-9]{6,15}$", description="a jurisdiction or cell code"
    )
    limit: int = Field(200, ge=1, le=1000)


class AccountOut(BaseModel):
    id: int
    username: str
    display_name: str
    phone: str | None
    role: Role
    active: bool
    must_change_password: bool
    cell_codes: list[str]
    jurisdiction_code: str | None
    department_code: str | None
    last_sign_in: datetime | None


class AccountList(BaseModel):
    roles: list[str] = Field(description="every role an account may have")
    items: list[AccountOut]


class _Scope(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    display_name: str = Field("", max_length=100)
    phone: str | None = Field(None, max_length=32)
    cell_codes: list[CellCode] = Field(default_factory=list, max_length=200)
    jurisdiction_code: str | None = Field(None, max_length=15)
    department_code: str | None = Field(None, max_length=64)


class AccountIn(_Scope):
    """A new account; its password is one-time (to be replaced at its first sign-in)."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class AccountEditIn(_Scope):
    """An account's role and scope (its cells replace the old ones)."""


class OneTimePassword(BaseModel):
    username: str
    password: str = Field(description="shown once: the account must replace it at sign-in")


class AccountImportMultipart(BaseModel):
    """multipart/form-data: the sheet in `file`; `commit` true to write it."""

    file: bytes = Field(description="a .csv (UTF-8) or .xlsx file with a header row")
    commit: bool = Field(False, description="write the accounts (only if every row is clean)")


class AccountImportRowError(BaseModel):
    line: int
    field: str
    message: str


class AccountImportOut(BaseModel):
    rows: int
    errors: list[AccountImportRowError]
    committed: bool
    created: list[OneTimePassword] = Field(default_factory=list)
