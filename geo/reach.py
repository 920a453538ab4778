"""The part of a cell within reach of lines, in metres (a projected cell and projected lines):
the patrol's coverage measure, and the merge of a cell's covered part with new lines.

Lines are buffered in windows of `WINDOW` segments and the buffers united (the union of
buffers is the buffer of the union): a walk going up and down the same streets costs GEOS far
more buffered as one line than in windows. Round ends and corners have `QUAD_SEGS` segments a
quarter circle (shapely's default). The same inputs give the same geometry, whichever process
measures them: a cell-day merged stretch by stretch and measured again whole agree to the
GEOS union's rounding (a few millionths of a share at most)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

QUAD_SEGS = 16
WINDOW = 32


def windows(lines: Sequence[shapely.Geometry]) -> list[shapely.Geometry]:
    """The lines (LineStrings, MultiLineStrings, empties) cut into runs of WINDOW segments,
    each run's last vertex the next one's first."""
    out = []
    for part in shapely.get_parts(shapely.get_parts(np.asarray(lines, dtype=object))):
        xy = shapely.get_coordinates(part)
        out += [shapely.LineString(xy[i : i + WINDOW + 1])
                for i in range(0, len(xy) - 1, WINDOW)]  # fmt: skip
    return out


def zone(lines: Sequence[shapely.Geometry], reach_m: float) -> shapely.Geometry | None:
    """Everything within `reach_m` of `lines` (None without a line)."""
    runs = windows(lines)
    if not runs:
        return None
    return shapely.union_all(shapely.buffer(np.asarray(runs, dtype=object), reach_m,
                                            quad_segs=QUAD_SEGS))  # fmt: skip


def part_of(cell: shapely.Geometry,
            zones: Sequence[shapely.Geometry | None]) -> shapely.Geometry | None:  # fmt: skip
    """The part of `cell` inside any of `zones`; None when nothing of it is."""
    parts = [shapely.intersection(cell, z) for z in zones if z is not None]
    parts = [p for p in parts if not p.is_empty and p.area > 0]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


def reach_of(cell: shapely.Geometry, lines: Sequence[shapely.Geometry],
             reach_m: float) -> shapely.Geometry | None:  # fmt: skip
    """The part of `cell` within `reach_m` of `lines`; None without a line or when nothing of
    the cell is within reach."""
    return part_of(cell, [zone(lines, reach_m)])


def merged(covered: shapely.Geometry | None,
           added: shapely.Geometry | None) -> shapely.Geometry | None:  # fmt: skip
    """The covered part of a cell with a part newly reached added: `covered` itself when it
    holds the new part already (a street walked again), else their union."""
    if added is None:
        return covered
    if covered is None:
        return added
    shapely.prepare(covered)
    if shapely.covers(covered, added):
        return covered
    return shapely.union(covered, added)


def share(part: shapely.Geometry | None, cell_area: float) -> float:
    """The share of the cell's area that `part` covers (at most 1)."""
    return 0.0 if part is None else min(1.0, part.area / cell_area)
