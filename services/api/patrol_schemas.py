"""Requests and responses of the patrol API (巡查: tracks, coverage, attendance)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.api.stats_schemas import EARLIEST, LATEST

MAX_DAYS = 366
PLACE = r"^[0-9]{6}([0-9]{3}){0,3}$"


class TracksQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    day: date | None = Field(default=None, ge=EARLIEST, le=LATEST,
                             description="local date (default: today)")  # fmt: skip
    worker: int | None = Field(
        default=None, ge=1, le=2**63 - 1, description="one grid worker's id (default: all)"
    )


class CoverageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    day: date | None = Field(default=None, ge=EARLIEST, le=LATEST,
                             description="local date (default: today)")  # fmt: skip
    within: str | None = Field(
        default=None, pattern=PLACE, description="only cells in this place or this cell"
    )


class AttendanceQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=False)
    first: date = Field(alias="from", ge=EARLIEST, le=LATEST, description="first local date")
    last: date = Field(
        alias="to", ge=EARLIEST, le=LATEST, description="last local date (inclusive)"
    )
    within: str | None = Field(
        default=None, pattern=PLACE, description="only workers with a cell in this place"
    )

    @field_validator("last")
    @classmethod
    def _range(cls, last: date, info: ValidationInfo) -> date:
        first = info.data.get("first")
        if first is not None and last < first:
            raise ValueError("'to' is before 'from'")
        if first is not None and (last - first).days >= MAX_DAYS:
            raise ValueError(f"a period spans at most {MAX_DAYS} days")
        return last


class TracksOut(BaseModel):
    """A GeoJSON FeatureCollection: one Feature per worker-day (MultiLineString of the counted
    segments, simplified; null geometry without one), figures in its properties."""

    type: str = "FeatureCollection"
    day: date
    features: list[dict[str, Any]]


class CoverageItem(BaseModel):
    code: str
    name: str
    share: float = Field(description="share of the cell's area within reach of anyone's tracks")
    own_share: float = Field(description="…of the tracks of the cell's own grid workers")
    last_patrolled: date | None = Field(description="last day up to `day` with any coverage")
    idle: bool = Field(description="no coverage for GRIDFLOW_PATROL_IDLE_DAYS days or more")


class CoverageOut(BaseModel):
    day: date
    reach_m: float
    idle_days: int
    items: list[CoverageItem]


class AttendanceItem(BaseModel):
    worker_id: int
    username: str
    display_name: str
    days_out: int = Field(description="days with time on patrol")
    hours: float
    km: float
    own_cells_share: float | None = Field(description="share of patrol time inside own cells")


class AttendanceOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    first: date = Field(serialization_alias="from")
    last: date = Field(serialization_alias="to")
    items: list[AttendanceItem]
