"""Requests and responses of the rankings API (排名, 综合评价)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.api.stats_schemas import EARLIEST, LATEST, MAX_DAYS
from services.domain.ranking import METRICS

SORTS = tuple(["score", *(m.key for m in METRICS)])
Sort = Literal[SORTS]  # type: ignore[valid-type]


class RankingQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=False)
    level: Literal["department", "district", "street", "community", "cell", "worker"] = Field(
        default="street", description="what is ranked"
    )
    period: Literal["week", "month", "quarter", "range"] = "month"
    day: date | None = Field(default=None, alias="date", ge=EARLIEST, le=LATEST,
                             description="a day of the period (default today)")  # fmt: skip
    first: date | None = Field(default=None, alias="from", ge=EARLIEST, le=LATEST,
                               description="first local date of a range")  # fmt: skip
    last: date | None = Field(default=None, alias="to", ge=EARLIEST, le=LATEST,
                              description="last local date of a range (inclusive)")  # fmt: skip
    within: str | None = Field(
        default=None, pattern=r"^[0-9]{6}([0-9]{3}){0,2}$",
        description="drill-down: only cases in this district, street or community",
    )  # fmt: skip
    department: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    sort: Sort = Field(default="score", description="score or a metric key")  # type: ignore[valid-type]
    order: Literal["best", "asc", "desc"] = Field(
        default="best", description="best first (each metric's own direction), asc or desc"
    )
    scheme: str | None = Field(default=None, max_length=64,
                               description="a configured composite-score scheme")  # fmt: skip
    format: Literal["json", "xlsx"] = "json"

    @model_validator(mode="after")
    def _range(self) -> RankingQuery:
        if self.period == "range":
            if self.first is None or self.last is None:
                raise ValueError("a range needs 'from' and 'to'")
            if self.last < self.first:
                raise ValueError("'to' is before 'from'")
            if (self.last - self.first).days >= MAX_DAYS:
                raise ValueError(f"a period spans at most {MAX_DAYS} days")
        return self


class TrendQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=False)
    day: date | None = Field(default=None, alias="date", ge=EARLIEST, le=LATEST,
                             description="a day of the last week (default today)")  # fmt: skip
    weeks: int = Field(default=8, ge=2, le=26)
    within: str | None = Field(default=None, pattern=r"^[0-9]{6}([0-9]{3}){0,3}$")
    department: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    scheme: str | None = Field(default=None, max_length=64)


class MetricOut(BaseModel):
    key: str
    zh: str
    en: str
    kind: Literal["rate", "count", "duration"]
    higher: bool = Field(description="whether a larger value is better")
    denominator: str | None = Field(description="a rate's denominator under the scheme")


class SchemeOut(BaseModel):
    name: str
    title: str
    source: str
    terms: list[dict[str, Any]]
    denominators: dict[str, str]


class RankingRow(BaseModel):
    rank: int | None
    code: str | None
    name: str | None
    score: float | None
    values: dict[str, float | int | None]
    drill: str | None = Field(description="the level this row opens (null: none)")


class RankingOut(BaseModel):
    level: str
    first: date = Field(serialization_alias="from")
    last: date = Field(serialization_alias="to")
    as_of: datetime
    scheme: SchemeOut
    schemes: list[dict[str, str]] = Field(description="every configured scheme: name, title")
    metrics: list[MetricOut]
    total: dict[str, Any]
    items: list[RankingRow]


class TrendPoint(BaseModel):
    first: date = Field(serialization_alias="from")
    last: date = Field(serialization_alias="to")
    score: float | None
    values: dict[str, float | int | None]
    delta: dict[str, float | None] | None = Field(description="change from the week before")


class TrendOut(BaseModel):
    scheme: str
    weeks: list[TrendPoint]
