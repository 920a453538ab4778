"""Placing a reported point on the grid with the app's Locator, whatever datum it came in."""

from __future__ import annotations

from typing import Any


def place(gridflow: Any, lat: float, lng: float, crs: str, accuracy_m: float | None):
    """The grid Placement of a point (status inside | snapped | outside, cell, jurisdictions,
    WGS84 lat/lng). Raises geo.datum.UnknownDatum / InvalidCoordinate for bad input."""
    return gridflow.locator.locate(lat, lng, crs=crs, accuracy_m=accuracy_m)
