"""Fixtures of the geo integration tests: unique district codes in the shared test database."""

from __future__ import annotations

import itertools
import random

import pytest

_codes = itertools.count(random.Random().randrange(0, 5000) * 10 + 950000)


def new_district() -> str:
    """A 6-digit district code no other test of this run uses."""
    return str(next(_codes))


def spot(district: str) -> tuple[float, float]:
    """A (lat, lng) in China of its own for the district's test grid: no two tests' grids
    overlap in the shared database."""
    n = int(district)
    return 22.0 + (n % 100) * 0.05, 100.0 + (n // 100 % 100) * 0.05


@pytest.fixture()
def district() -> str:
    return new_district()
