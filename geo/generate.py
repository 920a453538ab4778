"""Cutting a district boundary into square or hexagonal cells, grouped into communities and streets.

Cells are cut in a local metric frame around the boundary's centroid, on an integer lattice so
neighbouring cells share their corners exactly, then clipped to the boundary in degrees. Clipped
slivers smaller than `sliver_ratio` of a whole cell join the neighbour they share the longest
edge with. Communities are square blocks of `community_cells` × `community_cells` cell sizes;
streets are blocks of `street_communities` × `street_communities` communities. Numbering runs
row by row from the north-west, so codes are stable for the same input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from geo import codes
from geo.geometry import M_PER_DEG, LocalProjection, polygonal_parts, to_multipolygon
from geo.grid import Cell, Grid, Jurisdiction

SHAPES = ("square", "hex")


@dataclass(frozen=True)
class _Piece:
    geom: BaseGeometry
    cx: float  # centre of the uncut tile, metres
    cy: float


def _square_tiles(bounds, size: float):
    minx, miny, maxx, maxy = bounds
    i0, i1 = math.floor(minx / size), math.ceil(maxx / size)
    j0, j1 = math.floor(miny / size), math.ceil(maxy / size)
    ii, jj = np.meshgrid(np.arange(i0, i1), np.arange(j0, j1))
    ii, jj = ii.ravel(), jj.ravel()
    tiles = shapely.box(ii * size, jj * size, (ii + 1) * size, (jj + 1) * size)
    return tiles, (ii + 0.5) * size, (jj + 0.5) * size


def _hex_tiles(bounds, size: float):
    """Pointy-top hexagons with the area of a size × size square."""
    side = size * math.sqrt(2.0 / (3.0 * math.sqrt(3.0)))
    half_w, quarter_h = side * math.sqrt(3.0) / 2.0, side / 2.0  # lattice steps
    minx, miny, maxx, maxy = bounds
    r0, r1 = math.floor(miny / (3 * quarter_h)) - 1, math.ceil(maxy / (3 * quarter_h)) + 1
    c0, c1 = math.floor(minx / (2 * half_w)) - 1, math.ceil(maxx / (2 * half_w)) + 1
    rr, cc = np.meshgrid(np.arange(r0, r1), np.arange(c0, c1), indexing="ij")
    rr, cc = rr.ravel(), cc.ravel()
    mx = 2 * cc + (rr % 2)  # centre, in lattice units
    ny = 3 * rr
    corners = [(1, 1), (0, 2), (-1, 1), (-1, -1), (0, -2), (1, -1), (1, 1)]
    xs = np.stack([(mx + dx) * half_w for dx, _ in corners], axis=1)
    ys = np.stack([(ny + dy) * quarter_h for _, dy in corners], axis=1)
    tiles = shapely.polygons(np.stack([xs, ys], axis=2))
    return tiles, mx * half_w, ny * quarter_h


def _cut(boundary: BaseGeometry, shape: str, size_m: float, projection: LocalProjection):
    metric_bounds = projection.to_metres(boundary).bounds
    tile_fn = _square_tiles if shape == "square" else _hex_tiles
    tiles_m, cx, cy = tile_fn(metric_bounds, size_m)
    tiles = projection.to_degrees(tiles_m)
    shapely.prepare(boundary)
    touching = shapely.intersects(boundary, tiles)
    tiles, cx, cy = tiles[touching], cx[touching], cy[touching]
    inside = shapely.contains_properly(boundary, tiles)
    clipped = tiles.copy()
    clipped[~inside] = shapely.intersection(tiles[~inside], boundary)
    pieces = []
    for geom, x, y in zip(clipped, cx, cy, strict=True):
        parts = polygonal_parts(geom)
        if parts:
            pieces.append(_Piece(parts[0] if len(parts) == 1 else MultiPolygon(parts), x, y))
    return pieces


def _merge_slivers(pieces: list[_Piece], min_area_deg: float) -> list[_Piece]:
    areas = np.array([p.geom.area for p in pieces])
    small = areas < min_area_deg
    if not small.any() or small.all():
        return pieces
    big_idx = np.flatnonzero(~small)
    tree = shapely.STRtree([pieces[i].geom for i in big_idx])
    absorbed: dict[int, list[BaseGeometry]] = {}
    kept_small = []
    for i in np.flatnonzero(small):
        geom = pieces[i].geom
        best, best_len = None, 0.0
        for t in tree.query(geom, predicate="intersects"):
            j = big_idx[t]
            shared = shapely.intersection(geom.boundary, pieces[j].geom.boundary).length
            if shared > best_len:
                best, best_len = j, shared
        if best is None:
            kept_small.append(pieces[i])
        else:
            absorbed.setdefault(best, []).append(geom)
    out = []
    for j in big_idx:
        piece = pieces[j]
        if j in absorbed:
            merged = shapely.union_all([piece.geom, *absorbed[j]])
            piece = _Piece(merged, piece.cx, piece.cy)
        out.append(piece)
    return out + kept_small


def _number(keys: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """1-based numbers of block keys (column, row), row by row from the north-west."""
    ordered = sorted(set(keys), key=lambda k: (-k[1], k[0]))
    if len(ordered) > 999:
        raise ValueError(f"{len(ordered)} blocks at one level; at most 999 fit a 3-digit code")
    return {key: n for n, key in enumerate(ordered, start=1)}


def generate_grid(
    boundary: BaseGeometry,
    district_code: str,
    district_name: str,
    shape: str = "square",
    size_m: float = 250.0,
    community_cells: int = 4,
    street_communities: int = 5,
    sliver_ratio: float = 0.2,
) -> Grid:
    """A complete grid (district, streets, communities, cells) cut from a WGS84 boundary."""
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {', '.join(SHAPES)}, not {shape!r}")
    if not codes.is_code(district_code, "district"):
        raise ValueError(f"a district code has 6 digits: {district_code!r}")
    if size_m <= 0 or community_cells < 1 or street_communities < 1:
        raise ValueError("size, community_cells and street_communities must be positive")
    boundary = to_multipolygon(boundary)
    if boundary.is_empty or not boundary.is_valid:
        raise ValueError("the boundary must be a valid, non-empty (Multi)Polygon")
    centre = boundary.centroid
    projection = LocalProjection(centre.y, centre.x)
    pieces = _cut(boundary, shape, size_m, projection)
    full_area_deg = size_m * size_m / (projection.kx * M_PER_DEG)
    pieces = _merge_slivers(pieces, sliver_ratio * full_area_deg)

    community_m = size_m * community_cells
    street_m = community_m * street_communities
    street_key = [(math.floor(p.cx / street_m), math.floor(p.cy / street_m)) for p in pieces]
    community_key = [
        (math.floor(p.cx / community_m), math.floor(p.cy / community_m)) for p in pieces
    ]
    street_no = _number(street_key)

    grid = Grid()
    grid.jurisdictions[district_code] = Jurisdiction(
        district_code, "district", district_name, boundary
    )
    by_street: dict[tuple[int, int], list[int]] = {}
    for i, key in enumerate(street_key):
        by_street.setdefault(key, []).append(i)
    cells: list[Cell] = []
    for skey, members in by_street.items():
        street_code = codes.child_code(district_code, street_no[skey])
        street_name = f"{district_name}第{street_no[skey]}街道"
        community_no = _number([community_key[i] for i in members])
        street_geoms = []
        by_community: dict[int, list[int]] = {}
        for i in members:
            by_community.setdefault(community_no[community_key[i]], []).append(i)
        for cno, cmembers in by_community.items():
            community_code = codes.child_code(street_code, cno)
            community_name = f"{street_name}第{cno}社区"
            cell_no = _number([(round(pieces[i].cx), round(pieces[i].cy)) for i in cmembers])
            geoms = []
            for i in cmembers:
                n = cell_no[(round(pieces[i].cx), round(pieces[i].cy))]
                geom = to_multipolygon(pieces[i].geom)
                cells.append(
                    Cell(codes.child_code(community_code, n), f"{community_name}{n}号网格", geom)
                )
                geoms.append(geom)
            community_geom = to_multipolygon(shapely.union_all(geoms))
            grid.jurisdictions[community_code] = Jurisdiction(
                community_code, "community", community_name, community_geom
            )
            street_geoms.append(community_geom)
        grid.jurisdictions[street_code] = Jurisdiction(
            street_code, "street", street_name, to_multipolygon(shapely.union_all(street_geoms))
        )
    grid.cells = sorted(cells, key=lambda c: c.code)
    return grid
