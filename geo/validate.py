"""The validation report an import prints before anything is written.

Problems are errors (the import is refused) or warnings (listed; the import goes on):

- malformed (error): the file or a feature is not GeoJSON of the expected shape.
- invalid_geometry (error): self-intersection, unclosed ring, empty …; `--repair` fixes what
  it can.
- repaired (warning): an invalid geometry that `--repair` made valid.
- duplicate_code (error): two features with the same code.
- code_mismatch (error): a code of the wrong length for its level, or a `parent` property that
  is not the code's prefix.
- unknown_parent (error): a parent neither in the file nor in the database.
- overlap (error): two cells overlapping by more than the tolerance (area given).
- gap (warning): part of a community its cells do not cover, above the tolerance (area given).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import numpy as np
import shapely

from geo import codes
from geo.geometry import area_m2, areas_m2
from geo.grid import Grid

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Problem:
    """One finding: what kind, how bad, which feature (id or `#index`) and code, and why."""

    kind: str
    severity: str
    message: str
    feature: str | None = None
    code: str | None = None
    area_m2: float | None = None
    lat: float | None = None
    lng: float | None = None


@dataclass
class ValidationReport:
    """Everything found in one import file; `ok` when nothing blocks the import."""

    problems: list[Problem] = field(default_factory=list)
    features: int = 0
    cells: int = 0
    jurisdictions: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, *problems: Problem) -> None:
        self.problems.extend(problems)

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "features": self.features,
            "cells": self.cells,
            "jurisdictions": self.jurisdictions,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [
                {k: v for k, v in asdict(p).items() if v is not None} for p in self.problems
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def format_text(self, limit: int = 200) -> str:
        """The human report: one line per problem (at most `limit`), then a summary line."""
        lines = []
        for p in self.problems[:limit]:
            where = " ".join(x for x in (p.feature, p.code and f"code={p.code}") if x)
            extra = f" ({p.area_m2:.1f} m²)" if p.area_m2 is not None else ""
            at = f" near {p.lat:.6f},{p.lng:.6f}" if p.lat is not None else ""
            lines.append(f"{p.severity.upper():7} {p.kind:16} {where}: {p.message}{extra}{at}")
        if len(self.problems) > limit:
            lines.append(f"… and {len(self.problems) - limit} more")
        lines.append(
            f"{self.features} features, {self.cells} cells, {self.jurisdictions} jurisdictions: "
            f"{len(self.errors)} errors, {len(self.warnings)} warnings"
        )
        return "\n".join(lines)


def check_parents(grid: Grid, known_codes: Iterable[str]) -> list[Problem]:
    """Every cell's community, community's street and street's district must exist."""
    known = set(known_codes) | set(grid.jurisdictions)
    problems = []
    for jur in grid.jurisdictions.values():
        parent = jur.parent_code
        if parent is not None and parent not in known:
            problems.append(
                Problem(
                    "unknown_parent",
                    ERROR,
                    f"{jur.level} {jur.code}: its {codes.PARENT_LEVEL[jur.level]} {parent} "
                    "is neither in the file nor in the database",
                    code=jur.code,
                )
            )
    missing: dict[str, int] = {}
    for cell in grid.cells:
        if cell.community_code not in known:
            missing[cell.community_code] = missing.get(cell.community_code, 0) + 1
    for community, count in sorted(missing.items()):
        problems.append(
            Problem(
                "unknown_parent",
                ERROR,
                f"{count} cells name community {community}, which is neither in the file "
                "nor in the database",
                code=community,
            )
        )
    return problems


def check_overlaps(grid: Grid, tolerance_m2: float) -> list[Problem]:
    """Pairs of cells overlapping by more than `tolerance_m2`, with the overlap area."""
    if len(grid.cells) < 2:
        return []
    geoms = np.array([c.geom for c in grid.cells], dtype=object)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if left.size == 0:
        return []
    overlaps = shapely.intersection(geoms[left], geoms[right])
    areas = areas_m2(overlaps)
    problems = []
    for i, j, area, overlap in zip(left, right, areas, overlaps, strict=True):
        if area <= tolerance_m2:
            continue
        a, b = grid.cells[i], grid.cells[j]
        relation = "sibling cells" if a.community_code == b.community_code else "cells"
        point = overlap.representative_point()
        problems.append(
            Problem(
                "overlap",
                ERROR,
                f"{relation} {a.code} and {b.code} overlap",
                code=a.code,
                area_m2=round(float(area), 2),
                lat=point.y,
                lng=point.x,
            )
        )
    return problems


def check_overlaps_with(
    grid: Grid, others: list[tuple[str, object]], tolerance_m2: float
) -> list[Problem]:
    """Cells of the file overlapping current cells of other districts (`others`: code, geom)."""
    if not grid.cells or not others:
        return []
    geoms = np.array([c.geom for c in grid.cells], dtype=object)
    other_geoms = np.array([g for _, g in others], dtype=object)
    mine, theirs = shapely.STRtree(other_geoms).query(geoms, predicate="intersects")
    if mine.size == 0:
        return []
    areas = areas_m2(shapely.intersection(geoms[mine], other_geoms[theirs]))
    return [
        Problem(
            "overlap",
            ERROR,
            f"cell {grid.cells[i].code} overlaps cell {others[j][0]} of another district's "
            "current grid",
            code=grid.cells[i].code,
            area_m2=round(float(area), 2),
        )
        for i, j, area in zip(mine, theirs, areas, strict=True)
        if area > tolerance_m2
    ]


def check_gaps(grid: Grid, tolerance_m2: float) -> list[Problem]:
    """Parts of each community (with a known boundary) that none of its cells cover."""
    problems = []
    for jur in grid.jurisdictions.values():
        if jur.level != "community" or jur.geom is None:
            continue
        cells = grid.cells_of(jur.code)
        covered = shapely.union_all([c.geom for c in cells]) if cells else None
        gap = jur.geom if covered is None else shapely.difference(jur.geom, covered)
        area = area_m2(gap)
        if area > tolerance_m2:
            point = gap.representative_point()
            problems.append(
                Problem(
                    "gap",
                    WARNING,
                    f"community {jur.code} is not covered by its {len(cells)} cells",
                    code=jur.code,
                    area_m2=round(area, 2),
                    lat=point.y,
                    lng=point.x,
                )
            )
    return problems


def validate_grid(
    grid: Grid,
    report: ValidationReport,
    known_codes: Iterable[str] = (),
    overlap_tolerance_m2: float = 1.0,
    gap_tolerance_m2: float = 1.0,
    other_cells: list[tuple[str, object]] = (),
) -> ValidationReport:
    """Adds the structural and geometric checks of a parsed grid to `report`.

    `other_cells` are (code, geometry) of other districts' current cells near this grid.
    """
    report.cells = len(grid.cells)
    report.jurisdictions = len(grid.jurisdictions)
    report.add(*check_parents(grid, known_codes))
    report.add(*check_overlaps(grid, overlap_tolerance_m2))
    report.add(*check_overlaps_with(grid, list(other_cells), overlap_tolerance_m2))
    report.add(*check_gaps(grid, gap_tolerance_m2))
    return report
