"""Ratios and order statistics of the KPIs (services.domain.kpi): a ratio with a zero
denominator is None, a median of an even count the mean of the two middle values, a
percentile the nearest rank. Pure."""

from __future__ import annotations

import math
from datetime import timedelta


def ratio(numerator: int, denominator: int) -> float | None:
    """numerator / denominator, or None when the denominator is zero."""
    return numerator / denominator if denominator else None


def median(values: list[timedelta]) -> timedelta | None:
    """The median duration (mean of the two middle values for an even count), None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def percentile(values: list[timedelta], p: float) -> timedelta | None:
    """The nearest-rank p-th percentile (0 < p ≤ 100): the ⌈p/100·n⌉-th smallest value, so it
    is always one of the observed durations. None if empty."""
    if not values:
        return None
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]
