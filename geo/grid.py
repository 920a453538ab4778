"""A grid in memory: jurisdictions (district, street, community) and the cells cut from them.

This is what an import file or `generate` produces and what `store.write_grid` persists. A Grid
holds, for each district it touches, that district's whole grid.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import shapely
from shapely.geometry import MultiPolygon

from geo import codes
from geo.geometry import to_multipolygon


@dataclass(frozen=True)
class Jurisdiction:
    """A district, street or community: its code, level, name and boundary (None = unknown)."""

    code: str
    level: str
    name: str
    geom: MultiPolygon | None = None

    @property
    def parent_code(self) -> str | None:
        return codes.parent_code(self.code)


@dataclass(frozen=True)
class Cell:
    """A grid cell: 15-digit code, name and WGS84 MultiPolygon."""

    code: str
    name: str
    geom: MultiPolygon

    @property
    def community_code(self) -> str:
        return self.code[:12]

    @property
    def street_code(self) -> str:
        return self.code[:9]

    @property
    def district_code(self) -> str:
        return self.code[:6]


@dataclass
class Grid:
    """Jurisdictions by code and cells in code order."""

    jurisdictions: dict[str, Jurisdiction] = field(default_factory=dict)
    cells: list[Cell] = field(default_factory=list)

    def district_codes(self) -> list[str]:
        """The districts whose grids this Grid carries (those with at least one cell)."""
        return sorted({cell.district_code for cell in self.cells})

    def cells_of(self, prefix: str) -> list[Cell]:
        """Cells whose code starts with `prefix` (a district, street or community code)."""
        return [cell for cell in self.cells if cell.code.startswith(prefix)]

    def checksum(self, district_code: str) -> str:
        """A digest of one district's cells (codes, names, normalised geometry).

        Two imports of the same grid have the same checksum, whatever the feature order or
        ring starting points, so an unchanged re-import creates no new version.
        """
        digest = hashlib.sha256()
        for cell in sorted(self.cells_of(district_code), key=lambda c: c.code):
            wkb = shapely.to_wkb(shapely.normalize(cell.geom))
            digest.update(cell.code.encode() + b"\0" + cell.name.encode() + b"\0" + wkb)
        return digest.hexdigest()

    def fill_missing_boundaries(self) -> None:
        """Gives each jurisdiction without a boundary the union of what lies below it."""
        for level in ("community", "street", "district"):
            for code, jur in list(self.jurisdictions.items()):
                if jur.level != level or jur.geom is not None:
                    continue
                parts = [c.geom for c in self.cells_of(code)]
                if parts:
                    union = to_multipolygon(shapely.union_all(parts))
                    self.jurisdictions[code] = Jurisdiction(code, level, jur.name, union)
