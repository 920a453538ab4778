"""Coverage of cells by day (`patrol_coverage`): the share of a cell's area within the reach
(GRIDFLOW_PATROL_REACH_M) of the day's counted tracks of anyone, and of the tracks of the
cell's own workers. Measured in the cell's UTM zone, each track clipped here to the cell's box
widened by the reach, by `geo.reach` in the processor (GEOS through shapely: PostgreSQL
projects, clips and stores, the processor buffers and unites).

Each cell-day with coverage keeps the covered part of the cell (`patrol_coverage_area`:
anyone's and its own workers'), so a new stretch of track is *merged*: its reach in the cell
is united with the kept part (the union of buffers is the buffer of the union, so a day
merged stretch by stretch measures what the whole day measures), or the kept part stays as it
is when it holds the new reach already. `recompute` measures a cell-day again from every
stored track, for what a merge cannot do (a track that changed shape). A cell-day with no
coverage has no row. Plain functions over a Connection; they commit nothing; the caller holds
the cell-day's lock before `merge` and `recompute`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import shapely
from sqlalchemy import Connection, text

from geo import reach

CellDay = tuple[str, date]

# The UTM zone (EPSG code) of a cell, from its centroid.
_UTM = (
    "CASE WHEN ST_Y(ST_Centroid({g})) < 0 THEN 32700 ELSE 32600 END"
    " + floor((ST_X(ST_Centroid({g})) + 180) / 6)::int + 1"
)
_CLIP = (
    "ST_AsBinary(ST_ClipByBox2D(ST_Transform({g}, {srid}),"
    " ST_Expand(ST_Envelope({m}), :reach + 1)))"
)
_OWN = "EXISTS (SELECT 1 FROM user_cell uc WHERE uc.user_id = {w} AND uc.cell_code = {code})"

# Each (cell, day) with the day's stored tracks near the cell, clipped, in worker order.
_TRACKS = text(
    f"""
    WITH target AS (
      SELECT DISTINCT code, day
      FROM unnest(CAST(:codes AS text[]), CAST(:days AS date[])) AS k (code, day)
    ), cell AS (
      SELECT t.code, t.day, c.geom, {_UTM.format(g="c.geom")} AS srid
      FROM target t
      JOIN grid_cell c ON c.code = CAST(t.code AS char(15))
      JOIN grid_version v ON v.id = c.version_id AND v.valid_to IS NULL
    ), metric AS (
      SELECT code, day, srid, geom, ST_Transform(geom, srid) AS m FROM cell
    )
    SELECT m.code, m.day, m.srid, ST_AsBinary(m.m) AS cell, r.lines, r.owns
    FROM metric m
    CROSS JOIN LATERAL (
      SELECT array_agg(t.line ORDER BY t.w) AS lines, array_agg(t.own ORDER BY t.w) AS owns
      FROM (
        SELECT d.worker_id AS w, {_CLIP.format(g="d.track", srid="m.srid", m="m.m")} AS line,
               {_OWN.format(w="d.worker_id", code="m.code")} AS own
        FROM patrol_day d
        WHERE d.day = m.day AND d.track && ST_Expand(m.geom, :margin)
      ) t
    ) r
    """
)

# Each (cell, day) within reach of new stretches of track (WKB MultiLineStrings, WGS84), but
# those in :skip (measured again whole instead), with the stretches near it (their ordinal and
# the stretch projected to the cell's UTM zone, whole: a stretch is buffered once, not once a
# cell).
_STRETCHES = text(
    f"""
    WITH stretch AS (
      SELECT k.i, k.w, k.d, ST_GeomFromWKB(k.g, 4326) AS g
      FROM unnest(CAST(:w AS bigint[]), CAST(:d AS date[]), CAST(:g AS bytea[]))
           WITH ORDINALITY AS k (w, d, g, i)
    ), near AS (
      SELECT rtrim(c.code) AS code, s.d AS day, c.geom, s.i, s.g, s.w,
             {_UTM.format(g="c.geom")} AS srid
      FROM stretch s
      JOIN grid_cell c ON c.geom && ST_Expand(s.g, :margin)
      JOIN grid_version v ON v.id = c.version_id AND v.valid_to IS NULL
      WHERE (rtrim(c.code), s.d) NOT IN (
        SELECT * FROM unnest(CAST(:skip_codes AS text[]), CAST(:skip_days AS date[])))
    ), metric AS (
      SELECT n.*, ST_AsBinary(ST_Transform(n.g, n.srid)) AS line,
             {_OWN.format(w="n.w", code="n.code")} AS own
      FROM near n
    )
    SELECT code, day, min(srid) AS srid,
           ST_AsBinary(ST_Transform((array_agg(geom))[1], min(srid))) AS cell,
           array_agg(i ORDER BY i) AS ids, array_agg(line ORDER BY i) AS lines,
           array_agg(own ORDER BY i) AS owns
    FROM metric GROUP BY code, day
    """
)

_KEPT = text(
    """
    SELECT k.code, k.day, ST_AsBinary(a.anyone) AS anyone, ST_AsBinary(a.own) AS own,
           a.cell_code IS NOT NULL AS kept, p.share, p.own_share
    FROM unnest(CAST(:codes AS text[]), CAST(:days AS date[])) AS k (code, day)
    LEFT JOIN patrol_coverage_area a ON a.cell_code = k.code AND a.day = k.day
    LEFT JOIN patrol_coverage p ON p.cell_code = k.code AND p.day = k.day
    """
)

# Shares and covered parts written (a share of 0: both rows deleted); a share that did not
# change keeps its row and its updated_at.
_SAVE = text(
    """
    WITH k AS (
      SELECT * FROM unnest(CAST(:codes AS text[]), CAST(:days AS date[]), CAST(:srid AS int[]),
                           CAST(:area AS float8[]), CAST(:anyone AS bytea[]),
                           CAST(:own AS bytea[]), CAST(:share AS float8[]),
                           CAST(:own_share AS float8[]))
           AS k (code, day, srid, area, anyone, own, share, own_share)
    ), saved AS (
      INSERT INTO patrol_coverage AS p (cell_code, day, share, own_share, updated_at)
      SELECT code, day, share, own_share, now() FROM k WHERE share > 0
      ON CONFLICT (cell_code, day) DO UPDATE
        SET share = EXCLUDED.share, own_share = EXCLUDED.own_share, updated_at = now()
        WHERE (p.share, p.own_share) IS DISTINCT FROM (EXCLUDED.share, EXCLUDED.own_share)
    ), saved_area AS (
      INSERT INTO patrol_coverage_area AS a (cell_code, day, cell_area, anyone, own)
      SELECT code, day, area, ST_GeomFromWKB(anyone, srid), ST_GeomFromWKB(own, srid)
      FROM k WHERE share > 0
      ON CONFLICT (cell_code, day) DO UPDATE
        SET cell_area = EXCLUDED.cell_area, anyone = EXCLUDED.anyone, own = EXCLUDED.own
    ), dropped AS (
      DELETE FROM patrol_coverage p USING k
      WHERE k.share = 0 AND p.cell_code = k.code AND p.day = k.day
    )
    DELETE FROM patrol_coverage_area a USING k
    WHERE k.share = 0 AND a.cell_code = k.code AND a.day = k.day
    """
)


@dataclass(frozen=True)
class Measured:
    """A cell-day's coverage as measured: its share and its own workers' share."""

    code: str
    day: date
    share: float
    own_share: float


@dataclass(frozen=True)
class Near:
    """A cell-day within reach of lines: its UTM zone, the cell projected, the lines (WKB, in
    that zone: clipped to the cell's box, or whole stretches with their `ids`) and whether
    each is one of the cell's own workers'."""

    srid: int
    cell: shapely.Geometry
    lines: list[bytes]
    owns: list[bool]
    ids: tuple[int, ...] = ()

    def reached(self, reach_m: float) -> tuple[Any, Any]:
        """(anyone's, own workers') part of the cell within reach of the lines."""
        lines = [shapely.from_wkb(bytes(line)) for line in self.lines]
        anyone = reach.reach_of(self.cell, lines, reach_m)
        if all(self.owns):
            return anyone, anyone
        own = [line for line, mine in zip(lines, self.owns, strict=True) if mine]
        return anyone, reach.reach_of(self.cell, own, reach_m)


Stretches = Sequence[tuple[int, date, bytes]]
_Saved = tuple[CellDay, Near, Any, Any]


def _margin(reach_m: float) -> float:
    return reach_m / 50_000 + 0.0005  # degrees (a degree of longitude is over 50 km below 60°)


def _near(row: Any) -> Near:
    return Near(row.srid, shapely.from_wkb(bytes(row.cell)), list(row.lines or ()),
                list(row.owns or ()), tuple(getattr(row, "ids", None) or ()))  # fmt: skip


def _save(conn: Connection, saved: list[_Saved]) -> list[Measured]:
    """Writes each cell-day's covered parts and shares; returns what was measured."""
    out, columns = [], {k: [] for k in ("codes", "days", "srid", "area", "anyone", "own",
                                        "share", "own_share")}  # fmt: skip
    for (code, day), near, anyone, own in saved:
        area = near.cell.area
        share, own_share = reach.share(anyone, area), reach.share(own, area)
        out.append(Measured(code, day, share, own_share))
        for name, value in zip(columns, (code, day, near.srid, area,
                                         None if anyone is None else shapely.to_wkb(anyone),
                                         None if own_share == 0 else shapely.to_wkb(own),
                                         share, own_share), strict=True):  # fmt: skip
            columns[name].append(value)
    if out:
        conn.execute(_SAVE, columns)
    return out


def recompute(conn: Connection, cell_days: Iterable[CellDay], reach_m: float) -> list[Measured]:
    """Measures again the coverage of these (cell code, day) pairs from the stored tracks and
    saves it with its covered parts; returns each current cell's measure."""
    pairs = sorted(set(cell_days))
    if not pairs:
        return []
    params = {"codes": [p[0] for p in pairs], "days": [p[1] for p in pairs], "reach": reach_m,
              "margin": _margin(reach_m)}  # fmt: skip
    saved = []
    for row in conn.execute(_TRACKS, params):
        near = _near(row)
        saved.append(((row.code, row.day), near, *near.reached(reach_m)))
    return _save(conn, saved)


def near_stretches(
    conn: Connection, stretches: Stretches, skip: Iterable[CellDay], reach_m: float
) -> dict[CellDay, Near]:
    """The current cells a merge of these (worker, day, WKB) stretches touches, but those in
    `skip`, with the stretches clipped to each: the cell-days to lock before `merge`."""
    if not stretches:
        return {}
    skip = sorted(set(skip))
    params = {"w": [s[0] for s in stretches], "d": [s[1] for s in stretches],
              "g": [s[2] for s in stretches], "skip_codes": [s[0] for s in skip],
              "skip_days": [s[1] for s in skip], "reach": reach_m,
              "margin": _margin(reach_m)}  # fmt: skip
    return {(r.code, r.day): _near(r) for r in conn.execute(_STRETCHES, params)}


def merge(
    conn: Connection, near: dict[CellDay, Near], reach_m: float
) -> tuple[list[Measured], set[CellDay]]:
    """Merges new stretches of track (already part of the stored tracks) into the coverage of
    the cells `near_stretches` found. Returns (the cell-days whose coverage changed, the
    cell-days kept without their covered part, to be measured again whole)."""
    if not near:
        return [], set()
    keys = sorted(near)
    rows = conn.execute(_KEPT, {"codes": [k[0] for k in keys], "days": [k[1] for k in keys]})
    saved, stale, zones = [], set(), {}
    for row in rows:
        key = (row.code, row.day)
        if row.share is not None and not row.kept:
            stale.add(key)
            continue
        held = [None if g is None else shapely.from_wkb(bytes(g)) for g in (row.anyone, row.own)]
        cell = near[key]
        for i, line in zip(cell.ids, cell.lines, strict=True):
            if (i, cell.srid) not in zones:
                zones[i, cell.srid] = reach.zone([shapely.from_wkb(bytes(line))], reach_m)
        mine = [zones[i, cell.srid] for i in cell.ids]
        anyone = reach.part_of(cell.cell, mine)
        own = anyone if all(cell.owns) else reach.part_of(
            cell.cell, [z for z, o in zip(mine, cell.owns, strict=True) if o])  # fmt: skip
        anyone, own = reach.merged(held[0], anyone), reach.merged(held[1], own)
        area = cell.cell.area
        if reach.share(anyone, area) > 0 and (
            reach.share(anyone, area),
            reach.share(own, area),
        ) != (row.share, row.own_share):
            saved.append((key, cell, anyone, own))  # fmt: skip
    return _save(conn, saved), stale


def drop_areas_before(conn: Connection, day: date) -> int:
    """Deletes the covered parts of cell-days before `day` (their shares stay); returns how
    many."""
    sql = text("DELETE FROM patrol_coverage_area WHERE day < :d")
    return conn.execute(sql, {"d": day}).rowcount
