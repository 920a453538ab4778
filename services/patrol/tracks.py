"""The patrol's geometry in the processor: which new points lie inside their worker's cells,
and a worker-day's kept track with new pieces of walk appended.

A kept track is its segments simplified (Douglas-Peucker without topology, about a metre: a
track crossing itself keeps no more vertices than one that does not; walking points 15 s apart
keep their corners, straight runs lose their middles). Each piece of a stretch is simplified
on its own, its first vertex kept, so a piece that continues a segment is appended to the
segment's line, and the coverage merges exactly the lines appended."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

SIMPLIFY_DEGREES = 0.00001
Piece = tuple[list[tuple[float, float]], bool]


def inside(cells_wkb: bytes | None, lats: Sequence[float], lngs: Sequence[float]) -> list[bool]:
    """Whether each point lies in (or on the edge of) the cells (one WKB geometry)."""
    if cells_wkb is None or not lats:
        return [False] * len(lats)
    cells = shapely.from_wkb(cells_wkb)
    shapely.prepare(cells)
    return shapely.intersects_xy(cells, np.asarray(lngs), np.asarray(lats)).tolist()


def _simplified(pieces: Sequence[Piece]) -> list[np.ndarray]:
    raw = np.array([shapely.LineString(coords) for coords, _ in pieces], dtype=object)
    lines = shapely.simplify(raw, SIMPLIFY_DEGREES, preserve_topology=False)
    out = []
    for line, (coords, _) in zip(lines, pieces, strict=True):
        kept = shapely.get_coordinates(line)
        out.append(kept if len(kept) >= 2 else np.array([coords[0], coords[-1]]))
    return out


def appended(track_wkb: bytes | None, pieces: Sequence[Piece]) -> tuple[bytes | None, bytes | None]:
    """(the track with the pieces appended, the pieces' own lines), both WKB MultiLineStrings
    (None when empty). A piece that `extends` continues the track's last line (its first
    coordinate is that line's last)."""
    parts = [] if track_wkb is None else [
        shapely.get_coordinates(p) for p in shapely.get_parts(shapely.from_wkb(track_wkb))
    ]  # fmt: skip
    if not pieces:
        return track_wkb, None
    lines = _simplified(pieces)
    for line, (_, extends) in zip(lines, pieces, strict=True):
        if extends and parts:
            parts[-1] = np.concatenate([parts[-1], line[1:]])
        else:
            parts.append(line)
    track = shapely.multilinestrings([shapely.linestrings(p) for p in parts])
    stretch = shapely.multilinestrings([shapely.linestrings(p) for p in lines])
    return shapely.to_wkb(track), shapely.to_wkb(stretch)
