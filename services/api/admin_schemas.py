"""Request and response models of the admin API (departments, routing rules, the working
calendar, audit)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

JURISDICTION = r"^[0-9]{6}([0-9]{3}){0,3}$"
CATEGORY = r"^[0-9]{6}$"
Kind = Literal[
    "department", "street_office", "community_committee", "property_company", "operator_queue"
]


class DepartmentIn(BaseModel):
    """A department to create or replace (the code is in the URL)."""

    model_config = ConfigDict(extra="forbid")
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field("", max_length=200)
    kind: Kind
    jurisdiction_code: str = Field(pattern=JURISDICTION)
    admitted_categories: list[str] = Field(
        default_factory=list,
        description="community committees only: the categories they may receive (准入清单)",
    )
    active: bool = True


class DepartmentOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    kind: Kind
    jurisdiction_code: str
    admitted_categories: list[str]
    active: bool
    updated_at: datetime


class DepartmentList(BaseModel):
    items: list[DepartmentOut]


class RuleIn(BaseModel):
    """A routing rule: cases of `category_code` (null = any) inside `jurisdiction_code` go to
    `department_code`; the most specific jurisdiction wins, then category-specific, then
    the higher priority."""

    model_config = ConfigDict(extra="forbid")
    category_code: str | None = Field(None, pattern=CATEGORY)
    jurisdiction_code: str = Field(pattern=JURISDICTION)
    department_code: str = Field(min_length=1, max_length=64)
    priority: int = Field(0, ge=-1000, le=1000)


class RulesetIn(BaseModel):
    """The complete new ruleset (replaces every active rule)."""

    model_config = ConfigDict(extra="forbid")
    rules: list[RuleIn] = Field(max_length=10000)
    note: str | None = Field(None, max_length=500)


class RuleOut(BaseModel):
    id: int
    ruleset_version: int
    category_code: str | None
    jurisdiction_code: str
    department_code: str
    priority: int
    active: bool


class RuleList(BaseModel):
    version: int | None
    items: list[RuleOut]


class VersionSaved(BaseModel):
    version: int


class VersionOut(BaseModel):
    id: int
    created_at: datetime
    created_by: str
    source: str
    note: str | None
    rules: int


class VersionList(BaseModel):
    items: list[VersionOut]


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    outcome: Literal["done", "refused"]
    reason: str | None
    detail: dict[str, Any]


class AuditList(BaseModel):
    items: list[AuditOut]


class AuditQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str | None = Field(
        None, max_length=200, description="subject prefix, e.g. department:"
    )
    limit: int = Field(100, ge=1, le=1000)


class CalendarDayIn(BaseModel):
    """One date made working (e.g. a make-up working day, 调休上班) or closed (a holiday)."""

    model_config = ConfigDict(extra="forbid")
    day: date
    working: bool
    note: str = Field("", max_length=200, description="e.g. 春节, 国庆节调休上班")


class CalendarDaysIn(BaseModel):
    """Days to create or replace, e.g. a year's holiday notice entered in one go."""

    model_config = ConfigDict(extra="forbid")
    days: list[CalendarDayIn] = Field(min_length=1, max_length=400)


class CalendarDayOut(BaseModel):
    day: date
    working: bool
    note: str
    updated_by: str
    updated_at: datetime


class CalendarDayList(BaseModel):
    items: list[CalendarDayOut]


class CalendarOut(BaseModel):
    """The working calendar as the time limits use it."""

    timezone: str
    office_hours: list[tuple[str, str]] = Field(description="local [start, end) intervals")
    official_years: list[int] = Field(description="years the official holiday data covers")
    missing_years: list[int] = Field(
        description="this year and the next when neither the official data nor any admin "
        "day covers them: their holidays must be entered, or every weekday counts as working"
    )
    days: list[CalendarDayOut]


class CalendarQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: int | None = Field(None, ge=2000, le=2100, description="only this year's admin days")
