"""Editing a grid in memory: split a cell along a line, merge neighbouring cells, move the edge
two neighbours share, renumber a cell. Each edit
returns a new Grid (the input is left alone) that the caller validates and writes as a new
version like any import; the cells of earlier versions, and the cases placed in them, stay.

A split cell's code is retired: its parts get the next free sequence numbers of its community,
so a report placed after the split never lands on a code that meant the larger cell before.
A merge keeps the smallest code of the merged cells and retires the others. Moving a shared
edge keeps both codes (the cells change shape together, their union stays). A renumbered cell
keeps its shape under a new code of its community that no version of the district ever used.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

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


def _cell(grid: Grid, code: str, field: str = "cell_code") -> Cell:
    for cell in grid.cells:
        if cell.code == code:
            return cell
    raise EditError(field, f"no current cell {code}")


def _line(line: Sequence[Sequence[float]]) -> LineString:
    if len(line) < 2:
        raise EditError("line", "a line needs at least two points")
    try:
        return LineString([(float(p[0]), float(p[1])) for p in line])
    except (TypeError, ValueError, IndexError) as exc:
        raise EditError("line", "points are [lng, lat] pairs") from exc


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
    cutter = _line(line)
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


def move_edge(
    grid: Grid, codes: Sequence[str], line: Sequence[Sequence[float]]
) -> tuple[Grid, list[str]]:
    """The grid with the edge two neighbouring cells of one community share replaced by `line`
    ([lng, lat] points, WGS84, crossing their union from outside to outside), and their codes.
    Both cells change together and keep their codes; their union, so every other cell, stays.
    Raises EditError when they are not two neighbours of one community, or the line does not
    cut their union in two parts each holding most of one of them."""
    unique = list(dict.fromkeys(codes))
    if len(unique) != 2:
        raise EditError("cell_codes", "give the two cells whose shared edge moves")
    first, second = (_cell(grid, c, "cell_codes") for c in unique)
    if first.community_code != second.community_code:
        raise EditError("cell_codes", "cells of different communities: their edge is the "
                        "communities' boundary")  # fmt: skip
    union = shapely.union_all([first.geom, second.geom]).buffer(0)
    shared = first.geom.boundary.intersection(second.geom.boundary)
    if not isinstance(union, Polygon) or shared.length == 0:
        raise EditError("cell_codes", "the cells share no edge")
    parts = [g for g in split(union, _line(line)).geoms if g.area > 0]
    if len(parts) != 2:
        raise EditError("line", f"the new edge must cut the two cells in two (it makes "
                        f"{len(parts)} parts)")  # fmt: skip
    mine = max(parts, key=lambda p: p.intersection(first.geom).area)
    theirs = parts[1] if mine is parts[0] else parts[0]
    if theirs.intersection(second.geom).area <= theirs.intersection(first.geom).area:
        raise EditError("line", "the new edge must leave each cell on its own side")
    if mine.symmetric_difference(first.geom).area <= union.area * 1e-9:
        raise EditError("line", "the edge is already there")
    moved = {first.code: Cell(first.code, first.name, MultiPolygon([mine])),
             second.code: Cell(second.code, second.name, MultiPolygon([theirs]))}  # fmt: skip
    cells = [moved.get(c.code, c) for c in grid.cells]
    return Grid(dict(grid.jurisdictions), cells), [first.code, second.code]


def renumber_cell(
    grid: Grid, code: str, new_code: str, used_before: Collection[str] = ()
) -> tuple[Grid, str]:
    """The grid with cell `code` under `new_code` (its shape and name kept), and the new code.
    The new code stays in the cell's community, and is no current cell's nor any code the
    district's earlier versions used (`used_before`): a code never means two places. Raises
    EditError naming `new_code`."""
    cell = _cell(grid, code)
    if len(new_code) != 15 or not new_code.isdigit():
        raise EditError("new_code", "a cell code has 15 digits")
    if new_code[:12] != cell.community_code:
        raise EditError("new_code", f"the cell stays in community {cell.community_code}: its "
                        f"code starts with those 12 digits")  # fmt: skip
    if new_code == code:
        raise EditError("new_code", "the cell has this code already")
    if any(c.code == new_code for c in grid.cells):
        raise EditError("new_code", f"{new_code} is the code of a current cell")
    if new_code in used_before:
        raise EditError("new_code", f"{new_code} was a cell's code in an earlier grid version; "
                        "codes are not reused")  # fmt: skip
    cells = [c for c in grid.cells if c.code != code] + [Cell(new_code, cell.name, cell.geom)]
    return Grid(dict(grid.jurisdictions), sorted(cells, key=lambda c: c.code)), new_code
