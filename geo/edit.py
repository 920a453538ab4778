"""Editing a grid in memory: split a cell along a line, merge neighbouring cells. Each edit
returns a new Grid (the input is left alone) that the caller validates and writes as a new
version like any import; the cells of earlier versions, and the cases placed in them, stay.

A split cell's code is retired: its parts get the next free sequence numbers of its community,
so a report placed after the split never lands on a code that meant the larger cell before.
A merge keeps the smallest code of the merged cells and retires the others.
"""

from __future__ import annotations

from collections.abc import Sequence

import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon
from shapely.ops import split

from geo.grid import Cell, Grid

SEQUENCE_DIGITS = 3


class EditError(ValueError):
    """The edit cannot be made as asked; `field` names the input at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _cell(grid: Grid, code: str) -> Cell:
    for cell in grid.cells:
        if cell.code == code:
            return cell
    raise EditError("cell_code", f"no current cell {code}")


def next_codes(grid: Grid, community_code: str, count: int) -> list[str]:
    """`count` unused cell codes of the community, after its highest sequence number."""
    used = [int(c.code[len(community_code) :]) for c in grid.cells_of(community_code)]
    start = max(used, default=0) + 1
    if start + count - 1 >= 10**SEQUENCE_DIGITS:
        raise EditError("cell_code", f"community {community_code} has no free cell numbers")
    return [f"{community_code}{n:0{SEQUENCE_DIGITS}d}" for n in range(start, start + count)]


def split_cell(grid: Grid, code: str, line: Sequence[Sequence[float]]) -> tuple[Grid, list[str]]:
    """The grid with cell `code` cut in two along `line` ([lng, lat] points, WGS84, crossing
    the cell from outside to outside), and the codes of the two parts (west/north part
    first). Raises EditError when the line does not cut the cell in exactly two."""
    cell = _cell(grid, code)
    if len(line) < 2:
        raise EditError("line", "a line needs at least two points")
    try:
        cutter = LineString([(float(p[0]), float(p[1])) for p in line])
    except (TypeError, ValueError, IndexError) as exc:
        raise EditError("line", "points are [lng, lat] pairs") from exc
    if len(cell.geom.geoms) != 1:
        raise EditError("cell_code", "a cell of several parts cannot be split")
    parts = [g for g in split(cell.geom.geoms[0], cutter).geoms if g.area > 0]
    if len(parts) != 2:
        raise EditError("line", f"the line must cut the cell in two (it makes {len(parts)})")
    parts.sort(key=lambda p: (round(p.centroid.x, 7), -round(p.centroid.y, 7)))
    codes = next_codes(grid, cell.community_code, 2)
    new = [Cell(c, f"{cell.name}-{i + 1}", MultiPolygon([p]))
           for i, (c, p) in enumerate(zip(codes, parts, strict=True))]  # fmt: skip
    cells = [c for c in grid.cells if c.code != code] + new
    return Grid(dict(grid.jurisdictions), sorted(cells, key=lambda c: c.code)), codes


def merge_cells(grid: Grid, codes: Sequence[str]) -> tuple[Grid, str]:
    """The grid with these neighbouring cells of one community made one, and its code (the
    smallest of theirs). Raises EditError when they are fewer than two, of different
    communities, or do not make one connected shape."""
    unique = sorted(set(codes))
    if len(unique) < 2:
        raise EditError("cell_codes", "give at least two cells")
    cells = [_cell(grid, c) for c in unique]
    if len({c.community_code for c in cells}) != 1:
        raise EditError("cell_codes", "cells of different communities are not merged")
    union = shapely.union_all([c.geom for c in cells]).buffer(0)
    if not isinstance(union, Polygon):
        raise EditError("cell_codes", "the cells are not neighbours (their union is not one shape)")
    kept = Cell(unique[0], cells[0].name, MultiPolygon([union]))
    rest = [c for c in grid.cells if c.code not in unique] + [kept]
    return Grid(dict(grid.jurisdictions), sorted(rest, key=lambda c: c.code)), unique[0]
