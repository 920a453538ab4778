"""Point → cell: the in-process index (shapely STRtree) and the equivalent PostGIS query.

The rule both follow, for a WGS84 point and a snap distance:

1. inside — the cells whose closed polygon covers the point (interior or boundary). On a shared
   edge or vertex several cells qualify: the one with the smallest 15-digit code wins.
2. snapped — no cell covers the point: the nearest cell within the snap distance, with that
   distance. Equal distances (within 1 µm) go to the smallest code.
3. outside — nothing within the snap distance: no cell.

Distances are measured in a local equirectangular frame at the point's latitude
(x = lng·cos(lat), y = lat, times metres per degree), the same arithmetic in both paths.
Point-in-cell uses the same GEOS predicate in both paths: PostGIS is asked through ST_Relate,
which always goes to GEOS, rather than ST_Intersects, which takes PostGIS's own point-in-polygon
shortcut; so a point within rounding distance of an edge gets the same answer in both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import Connection, text

from geo.buckets import CellBuckets
from geo.geometry import M_PER_DEG

INSIDE, SNAPPED, OUTSIDE = "inside", "snapped", "outside"
STATUSES = (INSIDE, SNAPPED, OUTSIDE)
DEFAULT_SNAP_M = 30.0
TIE_M = 1e-6


@dataclass(frozen=True)
class Placement:
    """Where a point falls: status, the cell (versioned row id and code) and its jurisdictions.

    `lat`/`lng` are the point in WGS84. `distance_m` is 0 inside, the distance to the cell when
    snapped, None outside (where every cell field is None too).
    """

    status: str
    cell_id: int | None
    cell_code: str | None
    grid_version: int | None
    community_code: str | None
    street_code: str | None
    district_code: str | None
    distance_m: float | None
    lat: float
    lng: float

    @classmethod
    def outside(cls, lat: float, lng: float) -> Placement:
        return cls(OUTSIDE, None, None, None, None, None, None, None, lat, lng)

    @classmethod
    def of_cell(cls, status, cell_id, code, version, distance, lat, lng) -> Placement:
        return cls(
            status,
            int(cell_id),
            code,
            int(version),
            code[:12],
            code[:9],
            code[:6],
            float(distance),
            lat,
            lng,
        )


def snap_radius_deg(lat: float, snap_m: float) -> float:
    """A planar radius in degrees that contains every point within `snap_m` metres."""
    k = max(math.cos(math.radians(lat)), 1e-6)
    return snap_m / M_PER_DEG / k


def _scaled_distances_m(geoms: np.ndarray, lng: float, lat: float) -> np.ndarray:
    k = math.cos(math.radians(lat))
    scaled = shapely.transform(geoms, lambda c: c * np.array([k, 1.0]))
    return shapely.distance(scaled, shapely.Point(lng * k, lat)) * M_PER_DEG


def _pick_nearest(distances: np.ndarray, order_keys: np.ndarray) -> int:
    """Index of the nearest candidate; near-ties (TIE_M) go to the smallest order key."""
    tied = np.flatnonzero(distances <= distances.min() + TIE_M)
    return int(tied[np.argmin(order_keys[tied])])


@dataclass
class BatchPlacements:
    """Vectorised result of `CellIndex.locate_many`: one entry per input point.

    `cell` indexes the CellIndex's arrays (-1 outside); `status` indexes STATUSES.
    """

    status: np.ndarray
    cell: np.ndarray
    distance_m: np.ndarray


class CellIndex:
    """An in-memory STRtree over one set of cells (the current grid versions), in code order."""

    def __init__(
        self,
        ids,
        codes,
        versions,
        geoms,
        names=None,
        jurisdiction_names=None,
        token: int = 0,
        snap_distance_m: float = DEFAULT_SNAP_M,
    ):
        order = np.argsort(np.asarray(codes, dtype=str), kind="stable")
        self.ids = np.asarray(ids, dtype=np.int64)[order]
        self.codes = np.asarray(codes, dtype=object)[order]
        self.versions = np.asarray(versions, dtype=np.int64)[order]
        self.geoms = np.asarray(geoms, dtype=object)[order]
        self.names = (
            np.asarray(names, dtype=object)[order] if names is not None else self.codes.copy()
        )
        self.jurisdiction_names = dict(jurisdiction_names or {})
        self.token = token
        self.snap_distance_m = snap_distance_m
        self.positions = {code: i for i, code in enumerate(self.codes)}
        self._snap_cache: tuple[float, CellBuckets] | None = None
        self._buckets = CellBuckets(shapely.bounds(self.geoms).reshape(-1, 4))
        shapely.prepare(self.geoms)
        self.tree = shapely.STRtree(self.geoms)

    @classmethod
    def from_rows(cls, rows, snap_distance_m: float = DEFAULT_SNAP_M) -> CellIndex:
        """Builds the index from `geo.store.load_current_cells` output."""
        return cls(
            rows.ids,
            rows.codes,
            rows.versions,
            rows.geoms,
            rows.names,
            rows.jurisdiction_names,
            rows.token,
            snap_distance_m,
        )

    def __len__(self) -> int:
        return len(self.codes)

    def placement(self, status: str, i: int, distance: float, lat: float, lng: float) -> Placement:
        return Placement.of_cell(
            status, self.ids[i], self.codes[i], self.versions[i], distance, lat, lng
        )

    def locate(self, lat: float, lng: float, snap_distance_m: float | None = None) -> Placement:
        """The placement of one WGS84 point (the rule in the module docstring)."""
        snap = self.snap_distance_m if snap_distance_m is None else snap_distance_m
        if not len(self.codes):
            return Placement.outside(lat, lng)
        point = shapely.Point(lng, lat)
        hits = self.tree.query(point, predicate="intersects")
        if hits.size:
            return self.placement(INSIDE, int(hits.min()), 0.0, lat, lng)
        near = self.tree.query(point, predicate="dwithin", distance=snap_radius_deg(lat, snap))
        if near.size:
            distances = _scaled_distances_m(self.geoms[near], lng, lat)
            best = _pick_nearest(distances, near)
            if distances[best] <= snap:
                return self.placement(SNAPPED, int(near[best]), distances[best], lat, lng)
        return Placement.outside(lat, lng)

    def locate_many(self, lats, lngs, snap_distance_m: float | None = None) -> BatchPlacements:
        """Vectorised `locate` over arrays of WGS84 points; same answers, point by point."""
        snap = self.snap_distance_m if snap_distance_m is None else snap_distance_m
        lats = np.asarray(lats, dtype=float)
        lngs = np.asarray(lngs, dtype=float)
        n = lats.size
        status = np.full(n, 2, dtype=np.int8)
        cell = np.full(n, -1, dtype=np.int64)
        distance = np.full(n, np.nan)
        if not len(self.codes) or n == 0:
            return BatchPlacements(status, cell, distance)
        # candidates from the bucket grid (no geometry per point), then exact point-in-cell
        which, hit = self._buckets.pairs(lngs, lats)
        covered = shapely.intersects_xy(self.geoms[hit], lngs[which], lats[which])
        which, hit = which[covered], hit[covered]
        if which.size:
            # pairs come sorted by point: the smallest cell position (= code) of each point
            starts = np.flatnonzero(np.r_[True, which[1:] != which[:-1]])
            inside = which[starts]
            status[inside] = 0
            cell[inside] = np.minimum.reduceat(hit, starts)
            distance[inside] = 0.0
        rest = np.flatnonzero(status == 2)
        if rest.size:
            which, near = self._snap_buckets(snap).pairs(lngs[rest], lats[rest])
            if which.size:
                self._snap_pairs(rest[which], near, lats, lngs, snap, status, cell, distance)
        return BatchPlacements(status, cell, distance)

    def _snap_buckets(self, snap: float) -> CellBuckets:
        """Buckets of cell envelopes grown by the snap radius (a point outside all of them is
        outside)."""
        if self._snap_cache is None or self._snap_cache[0] != snap:
            bounds = shapely.bounds(self.geoms)
            r = snap_radius_deg(min(89.0, float(np.abs(bounds[:, [1, 3]]).max()) + 1.0), snap)
            self._snap_cache = (snap, CellBuckets(bounds + np.array([-r, -r, r, r])))
        return self._snap_cache[1]

    def _snap_pairs(self, point, near, lats, lngs, snap, status, cell, distance) -> None:
        """Picks, per point, the nearest candidate cell of (point, cell) pairs (rule 2)."""
        k = np.cos(np.radians(lats[point]))
        geoms = self.geoms[near]
        factors = np.repeat(k, shapely.get_num_coordinates(geoms))
        scaled = shapely.transform(
            geoms, lambda c: c * np.column_stack((factors, np.ones_like(factors)))
        )
        d = shapely.distance(scaled, shapely.points(lngs[point] * k, lats[point])) * M_PER_DEG
        order = np.lexsort((near, d, point))
        point, near, d = point[order], near[order], d[order]
        starts = np.flatnonzero(np.r_[True, point[1:] != point[:-1]])
        group = np.cumsum(np.r_[False, point[1:] != point[:-1]])
        nearest = d[starts][group]
        candidate = np.where(d <= nearest + TIE_M, near, np.iinfo(np.int64).max)
        chosen = np.minimum.reduceat(candidate, starts)
        best_d = np.minimum.reduceat(np.where(near == chosen[group], d, np.inf), starts)
        ok = best_d <= snap
        idx = point[starts][ok]
        status[idx], cell[idx], distance[idx] = 1, chosen[ok], best_d[ok]
        return BatchPlacements(status, cell, distance)


_INSIDE_SQL = text(
    """
    SELECT c.id, c.code, c.version_id
    FROM grid_cell c JOIN grid_version v ON v.id = c.version_id AND v.valid_to IS NULL
    WHERE c.geom && ST_SetSRID(ST_MakePoint(:lng, :lat), 4326)
      AND NOT ST_Relate(c.geom, ST_SetSRID(ST_MakePoint(:lng, :lat), 4326), 'FF*FF****')
    ORDER BY c.code
    LIMIT 1
    """
)

_NEAR_SQL = text(
    """
    SELECT c.id, c.code, c.version_id,
           ST_Distance(
               ST_Scale(c.geom, :k, 1.0), ST_SetSRID(ST_MakePoint(:lng * :k, :lat), 4326)
           ) * :m AS d
    FROM grid_cell c JOIN grid_version v ON v.id = c.version_id AND v.valid_to IS NULL
    WHERE ST_DWithin(c.geom, ST_SetSRID(ST_MakePoint(:lng, :lat), 4326), :radius)
    ORDER BY c.code
    """
)


def locate_in_db(
    conn: Connection, lat: float, lng: float, snap_distance_m: float = DEFAULT_SNAP_M
) -> Placement:
    """The same placement as `CellIndex.locate`, computed by PostGIS over the current versions."""
    lat, lng = float(lat), float(lng)
    row = conn.execute(_INSIDE_SQL, {"lat": lat, "lng": lng}).first()
    if row is not None:
        return Placement.of_cell(INSIDE, row.id, row.code.strip(), row.version_id, 0.0, lat, lng)
    k = math.cos(math.radians(lat))
    params = {
        "lat": lat,
        "lng": lng,
        "k": k,
        "m": M_PER_DEG,
        "radius": snap_radius_deg(lat, snap_distance_m),
    }
    rows = conn.execute(_NEAR_SQL, params).all()
    if rows:
        distances = np.array([r.d for r in rows], dtype=float)
        best = _pick_nearest(distances, np.arange(len(rows)))
        r = rows[best]
        if distances[best] <= snap_distance_m:
            return Placement.of_cell(SNAPPED, r.id, r.code.strip(), r.version_id, r.d, lat, lng)
    return Placement.outside(lat, lng)
