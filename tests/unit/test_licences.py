"""The licence of gridflow and of every runtime dependency it deploys are written down."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def _runtime(name: str, seen: set[str]) -> set[str]:
    """`name` and every package it needs at run time (extras left out), normalised."""
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key in seen:
        return seen
    seen.add(key)
    for line in metadata.distribution(name).requires or []:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            _runtime(requirement.name, seen)
    return seen


def test_gridflow_ships_the_licence_its_metadata_names():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]
    assert declared == {"text": "Apache-2.0"}
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_every_runtime_dependency_is_listed_with_its_licence():
    listed = (ROOT / "THIRD_PARTY.md").read_text().lower()
    needed = _runtime("gridflow", set()) - {"gridflow"} | {"psycopg-binary"}
    assert sorted(p for p in needed if p not in listed) == []
    for copyleft in ("psycopg", "crc32c", "geos"):
        assert re.search(rf"{copyleft}.*lgpl", listed), copyleft
