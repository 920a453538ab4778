"""Request and response bodies of the auth endpoints (they also feed the OpenAPI document)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: str = Field(min_length=1, max_length=4096)


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    old_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"]
    expires_in: int = Field(description="seconds until the access token expires")
    must_change_password: bool = Field(
        False, description="the password is one-time: choose a new one before anything else"
    )


class MeOut(BaseModel):
    user_id: int
    username: str
    role: Literal["grid_worker", "operator", "department_staff", "admin", "leader"]
    cell_codes: list[str]
    jurisdiction_code: str | None
    department_code: str | None
