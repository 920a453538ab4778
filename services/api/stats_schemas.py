"""Requests and responses of the KPI API (综合评价)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.api.handling_schemas import Names

MAX_DAYS = 3 * 366
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


class StatsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=False)
    first: date = Field(alias="from", ge=EARLIEST, le=LATEST,
                        description="first local date of the period")  # fmt: skip
    last: date = Field(alias="to", ge=EARLIEST, le=LATEST,
                       description="last local date of the period (inclusive)")  # fmt: skip
    time: Literal["clock", "working"] = Field(
        default="clock", description="durations in clock time or in working time"
    )
    within: str | None = Field(
        default=None, pattern=r"^[0-9]{6}([0-9]{3}){0,3}$",
        description="only cases in this district, street, community or cell",
    )  # fmt: skip
    department: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

    @field_validator("last")
    @classmethod
    def _range(cls, last: date, info: ValidationInfo) -> date:
        first = info.data.get("first")
        if first is not None and last < first:
            raise ValueError("'to' is before 'from'")
        if first is not None and (last - first).days >= MAX_DAYS:
            raise ValueError(f"a period spans at most {MAX_DAYS} days")
        return last


class JurisdictionStatsQuery(StatsQuery):
    level: Literal["district", "street", "community"] = "street"


class KpisOut(BaseModel):
    """Rates are fractions in [0, 1] (null when nothing to divide by); durations in seconds."""

    cases: int = Field(description="cases in the loop (not rejected or merged)")
    closed: int
    closure_rate: float | None = Field(description="结案率")
    due_for_closure: int
    postponed: int
    closed_on_time: int
    on_time_closure_rate: float | None = Field(description="按期结案率")
    resolutions: int
    failed_verifications: int
    rework_rate: float | None = Field(description="返工率: failed verifications / resolutions")
    dispatched: int
    extended: int = Field(description="dispatched cases with an approved extension")
    extension_rate: float | None = Field(description="延期率")
    acknowledge_median: float | None
    acknowledge_p90: float | None
    resolve_median: float | None
    resolve_p90: float | None
    close_median: float | None
    close_p90: float | None
    rated: int
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    satisfaction_rate: float | None = Field(description="满意率: (满意 + 基本满意) / rated")
    full_satisfaction_rate: float | None
    revisited: int = Field(description="不满意 ratings whose revisit (回访) has a rating after")
    satisfied_after_revisit: int
    satisfaction_after_revisit_rate: float | None = Field(
        description="回访后满意率: (满意 + 基本满意 + 不满意 satisfied after the revisit) / rated"
    )
    supervisions: int = Field(description="督办数: supervisions by hand of these cases")
    urgings: int = Field(description="催办数: urgings of these cases")


class StatsRow(BaseModel):
    code: str | None = Field(description="department or jurisdiction code (null: none)")
    name: Names | None
    kpis: KpisOut


class StatsOut(BaseModel):
    first: date = Field(serialization_alias="from")
    last: date = Field(serialization_alias="to")
    as_of: datetime
    time: Literal["clock", "working"]
    level: str
    total: KpisOut
    items: list[StatsRow]
