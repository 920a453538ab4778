"""Models of the admin's routing views (open cases per department, the rule preview)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class DepartmentOpenCases(BaseModel):
    counts: dict[str, int] = Field(description="department code → open cases it holds")


class RoutePreviewQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str = Field(pattern=r"^[0-9]{6}$")
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"


class PreviewRule(BaseModel):
    category_code: str | None
    jurisdiction_code: str
    department_code: str
    priority: int
    level: Literal["district", "street", "community", "cell"]


class PreviewCandidate(PreviewRule):
    outcome: Literal["chosen", "outranked", "unknown", "inactive", "not_admitted"]


class RoutePreviewOut(BaseModel):
    status: str = Field(description="inside a cell, snapped to the nearest, or outside")
    cell_code: str | None
    community_code: str | None
    street_code: str | None
    district_code: str | None
    category: str
    department_code: str | None
    department_name: str | None
    rule: PreviewRule | None
    fallback: bool
    reason: str
    candidates: list[PreviewCandidate]
