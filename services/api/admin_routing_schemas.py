"""Models of the admin's routing views (open cases per department, the rule preview)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class OpenCases(BaseModel):
    counts: dict[str, int] = Field(description="department code → open cases it holds")


class PreviewQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str = Field(pattern=r"^[0-9]{6}$")
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"


class RuleView(BaseModel):
    category_code: str | None
    jurisdiction_code: str
    department_code: str
    priority: int
    level: Literal["district", "street", "community", "cell"]


class Candidate(RuleView):
    outcome: Literal["chosen", "outranked", "unknown", "inactive", "not_admitted"]


class PreviewOut(BaseModel):
    status: str = Field(description="inside a cell, snapped to the nearest, or outside")
    cell_code: str | None
    community_code: str | None
    street_code: str | None
    district_code: str | None
    category: str
    department_code: str | None
    department_name: str | None
    rule: RuleView | None
    fallback: bool
    reason: str
    candidates: list[Candidate]
