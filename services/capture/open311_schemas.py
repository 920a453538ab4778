"""Open311 GeoReport v2 inputs: POST requests and the GET requests filters."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.http.validation import Instant

EMAIL = r"^[^@\s]{1,64}@[^@\s]{1,255}$"
MAX_PAGE_SIZE = 200
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


class RequestIn(BaseModel):
    """The parameters of POST requests (form-encoded as the specification shows, or JSON)."""

    model_config = ConfigDict(extra="forbid")
    api_key: str = Field(min_length=1, max_length=200)
    service_code: str = Field(pattern=r"^[0-9]{6}$")
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    long: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    address_string: str | None = Field(default=None, min_length=1, max_length=500)
    address_id: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, pattern=EMAIL, max_length=320)
    device_id: str | None = Field(default=None, max_length=200)
    account_id: str | None = Field(default=None, max_length=200)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, pattern=r"^[0-9+\-() ]{3,32}$")
    description: str | None = Field(default=None, max_length=4000)
    media_url: str | None = Field(default=None, pattern=r"^https?://\S+$", max_length=2000)
    attribute: dict[str, str] = Field(default_factory=dict)


class RequestsQuery(BaseModel):
    """The filters of GET requests. Lists are comma-separated; every field is bounded so that
    any valid query fits in the request line the HTTP server takes (4,094 bytes, percent-
    encoding included)."""

    model_config = ConfigDict(extra="ignore")
    service_request_id: str | None = Field(default=None, pattern=r"^[0-9, ]*$", max_length=400)
    service_code: str | None = Field(default=None, pattern=r"^[0-9, ]*$", max_length=200)
    start_date: Instant | None = None
    end_date: Instant | None = None
    status: str | None = Field(default=None, max_length=20)
    api_key: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_\-]+$", max_length=200)
    page: int = Field(default=1, ge=1, le=1000)
    page_size: int = Field(default=100, ge=1, le=MAX_PAGE_SIZE)

    @field_validator("start_date", "end_date")
    @classmethod
    def _dates(cls, value: datetime | None) -> datetime | None:
        # A window is reckoned back from its end: a date at the calendar's edge would overflow.
        if value is not None and not EARLIEST <= value <= LATEST:
            raise ValueError("a date from 1970 to 9999")
        return value

    @field_validator("status")
    @classmethod
    def _statuses(cls, value: str | None) -> str | None:
        if value is not None:
            for part in value.split(","):
                if part.strip() not in ("open", "closed"):
                    raise ValueError("status is open, closed or open,closed")
        return value

    def ids(self) -> list[str]:
        return [p.strip() for p in (self.service_request_id or "").split(",") if p.strip()]

    def codes(self) -> list[str]:
        return [p.strip() for p in (self.service_code or "").split(",") if p.strip()]

    def statuses(self) -> list[str]:
        return [p.strip() for p in (self.status or "").split(",") if p.strip()]
