"""Query and response models of the grid API, for the OpenAPI document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class LocateQuery(BaseModel):
    lat: float = Field(ge=-90, le=90, description="Latitude in the datum named by crs")
    lng: float = Field(ge=-180, le=180, description="Longitude in the datum named by crs")
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    accuracy: float | None = Field(
        default=None, ge=0, description="GPS accuracy in metres; widens the snap radius"
    )


class CodeName(BaseModel):
    code: str
    name: str | None


class PlacedCell(BaseModel):
    id: int
    code: str
    name: str | None
    version: int


class LocateInput(BaseModel):
    lat: float
    lng: float
    crs: str


class LocateOut(BaseModel):
    """Where a point falls: inside a cell, snapped to the nearest one, or outside the grid."""

    status: Literal["inside", "snapped", "outside"]
    distance_m: float | None
    lat: float = Field(description="WGS84")
    lng: float = Field(description="WGS84")
    input: LocateInput
    cell: PlacedCell | None
    community: CodeName | None
    street: CodeName | None
    district: CodeName | None


class CellsQuery(BaseModel):
    bbox: str = Field(
        description="minLng,minLat,maxLng,maxLat (WGS84); sides at most 0.5°",
        pattern=r"^\s*-?\d+(\.\d+)?(\s*,\s*-?\d+(\.\d+)?){3}\s*$",
        examples=["121.60,29.95,121.65,29.99"],
    )
    zoom: int = Field(default=16, ge=0, le=22, description="Below 16 geometry is simplified")
    limit: int = Field(default=500, ge=1, le=2000)
    after: str | None = Field(default=None, description="Cell code to continue after (paging)")


class CellQuery(BaseModel):
    version: int | None = Field(default=None, description="A past grid version id")


class FeatureCollectionOut(BaseModel):
    """GeoJSON FeatureCollection of cells; `next` is the URL of the next page or null."""

    type: Literal["FeatureCollection"]
    features: list[dict[str, Any]]
    count: int
    limit: int
    zoom: int
    simplified: bool
    next: str | None


class FeatureOut(BaseModel):
    """One cell as a GeoJSON Feature."""

    type: Literal["Feature"]
    id: str
    geometry: dict[str, Any]
    properties: dict[str, Any]
