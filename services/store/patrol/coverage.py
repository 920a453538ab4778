"""Coverage of cells by day (`patrol_coverage`): the share of a cell's area within the reach
(GRIDFLOW_PATROL_REACH_M) of the day's counted tracks of anyone, and of the tracks of the
cell's own workers. Measured in the cell's UTM zone, each track clipped to the cell's box
widened by the reach, by `patrol_reach_of` (migration 0085: the tracks buffered a window of
segments at a time, windows adding nothing passed over).

Each cell-day with coverage keeps the covered part of the cell (`patrol_coverage_area`:
anyone's and its own workers'), so a new stretch of track is *merged*: its buffer, cut to the
cell, is united with the kept part (the union of buffers is the buffer of the union, so a day
merged stretch by stretch measures what the whole day measures). `recompute` measures a
cell-day again from every stored track, for what a merge cannot do (a track that changed
shape). A cell-day with no coverage has no row. Plain functions over a Connection; they
commit nothing; the caller holds the cell-day's lock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

# The UTM zone (EPSG code) of a cell, from its centroid.
_UTM = (
    "CASE WHEN ST_Y(ST_Centroid({g})) < 0 THEN 32700 ELSE 32600 END"
    " + floor((ST_X(ST_Centroid({g})) + 180) / 6)::int + 1"
)
# The part of the cell within reach of the lines (0085); the own workers' part is the same
# when every line near the cell is theirs. The CTEs holding a measure are MATERIALIZED: an
# inlined one would measure again at each mention.
_REACH = "patrol_reach_of({m}, {lines}, :reach)"
_CLIP = "ST_ClipByBox2D(ST_Transform({g}, {srid}), ST_Expand(ST_Envelope({m}), :reach + 1))"

_RECOMPUTE = text(
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
    ), gathered AS MATERIALIZED (
      SELECT m.code, m.day, m.m, ST_Area(m.m) AS area, bool_and(r.own) AS all_own,
             {_REACH.format(m="m.m", lines="ST_Collect(r.near)")} AS anyone,
             ST_Collect(r.near) FILTER (WHERE r.own) AS own_lines
      FROM metric m
      LEFT JOIN LATERAL (
        SELECT {_CLIP.format(g="d.track", srid="m.srid", m="m.m")} AS near,
               EXISTS (SELECT 1 FROM user_cell uc
                       WHERE uc.user_id = d.worker_id AND uc.cell_code = m.code) AS own
        FROM patrol_day d
        WHERE d.day = m.day AND d.track && ST_Expand(m.geom, :margin)
      ) r ON true
      GROUP BY m.code, m.day, m.m
    ), reached AS MATERIALIZED (
      SELECT code, day, area, anyone,
             CASE WHEN all_own THEN anyone ELSE {_REACH.format(m="m", lines="own_lines")} END
               AS own
      FROM gathered
    ), computed AS (
      SELECT code, day, area, anyone, own,
             LEAST(1, COALESCE(ST_Area(anyone), 0) / area) AS share,
             LEAST(1, COALESCE(ST_Area(own), 0) / area) AS own_share
      FROM reached
    ), saved AS (
      INSERT INTO patrol_coverage AS p (cell_code, day, share, own_share, updated_at)
      SELECT code, day, share, own_share, now() FROM computed WHERE share > 0
      ON CONFLICT (cell_code, day) DO UPDATE
        SET share = EXCLUDED.share, own_share = EXCLUDED.own_share, updated_at = now()
        WHERE (p.share, p.own_share) IS DISTINCT FROM (EXCLUDED.share, EXCLUDED.own_share)
    ), saved_area AS (
      INSERT INTO patrol_coverage_area AS a (cell_code, day, cell_area, anyone, own)
      SELECT code, day, area, anyone, CASE WHEN own_share > 0 THEN own END
      FROM computed WHERE share > 0
      ON CONFLICT (cell_code, day) DO UPDATE
        SET cell_area = EXCLUDED.cell_area, anyone = EXCLUDED.anyone, own = EXCLUDED.own
    ), dropped AS (
      DELETE FROM patrol_coverage p USING computed c
      WHERE c.share = 0 AND p.cell_code = c.code AND p.day = c.day
    ), dropped_area AS (
      DELETE FROM patrol_coverage_area a USING computed c
      WHERE c.share = 0 AND a.cell_code = c.code AND a.day = c.day
    )
    SELECT code, day, share, own_share FROM computed
    """
)

# The cells within reach of new stretches of track (WKB MultiLineStrings, WGS84) by day, but
# those in :skip (measured again whole instead), each with whether the stretch's worker is
# one of the cell's own.
_NEAR_STRETCHES = f"""
    WITH stretch AS (
      SELECT k.w, k.d, ST_GeomFromWKB(k.g, 4326) AS g
      FROM unnest(CAST(:w AS bigint[]), CAST(:d AS date[]), CAST(:g AS bytea[])) AS k (w, d, g)
    ), near AS (
      SELECT rtrim(c.code) AS code, s.d AS day, c.geom, s.g, s.w,
             {_UTM.format(g="c.geom")} AS srid
      FROM stretch s
      JOIN grid_cell c ON c.geom && ST_Expand(s.g, :margin)
      JOIN grid_version v ON v.id = c.version_id AND v.valid_to IS NULL
      WHERE (rtrim(c.code), s.d) NOT IN (
        SELECT * FROM unnest(CAST(:skip_codes AS text[]), CAST(:skip_days AS date[])))
    )
"""

_CELLS_NEAR_STRETCHES = text(_NEAR_STRETCHES + "SELECT DISTINCT code, day FROM near")

_MERGE = text(
    _NEAR_STRETCHES
    + f"""
    , clipped AS (
      SELECT n.code, n.day, n.m, {_CLIP.format(g="n.g", srid="n.srid", m="n.m")} AS near,
             EXISTS (SELECT 1 FROM user_cell uc
                     WHERE uc.user_id = n.w AND uc.cell_code = n.code) AS own
      FROM (SELECT near.*, ST_Transform(geom, srid) AS m FROM near) n
    ), gathered AS MATERIALIZED (
      SELECT code, day, m, bool_and(own) AS all_own,
             {_REACH.format(m="m", lines="ST_Collect(near)")} AS anyone,
             ST_Collect(near) FILTER (WHERE own) AS own_lines
      FROM clipped GROUP BY code, day, m
    ), reached AS MATERIALIZED (
      SELECT code, day, m, anyone,
             CASE WHEN all_own THEN anyone ELSE {_REACH.format(m="m", lines="own_lines")} END
               AS own
      FROM gathered
    ), merged AS MATERIALIZED (
      SELECT f.code, f.day, ST_Area(f.m) AS area, p.share AS was, p.own_share AS own_was,
             a.cell_code IS NULL AND p.cell_code IS NOT NULL AS stale,
             COALESCE(ST_Union(a.anyone, f.anyone), a.anyone, f.anyone) AS anyone,
             COALESCE(ST_Union(a.own, f.own), a.own, f.own) AS own
      FROM reached f
      LEFT JOIN patrol_coverage_area a ON a.cell_code = f.code AND a.day = f.day
      LEFT JOIN patrol_coverage p ON p.cell_code = f.code AND p.day = f.day
    ), computed AS (
      SELECT code, day, area, anyone, own, stale, was, own_was,
             LEAST(1, COALESCE(ST_Area(anyone), 0) / area) AS share,
             LEAST(1, COALESCE(ST_Area(own), 0) / area) AS own_share
      FROM merged
    ), changed AS (
      SELECT * FROM computed
      WHERE NOT stale AND share > 0
        AND (share, own_share) IS DISTINCT FROM (was, own_was)
    ), saved AS (
      INSERT INTO patrol_coverage AS p (cell_code, day, share, own_share, updated_at)
      SELECT code, day, share, own_share, now() FROM changed
      ON CONFLICT (cell_code, day) DO UPDATE
        SET share = EXCLUDED.share, own_share = EXCLUDED.own_share, updated_at = now()
    ), saved_area AS (
      INSERT INTO patrol_coverage_area AS a (cell_code, day, cell_area, anyone, own)
      SELECT code, day, area, anyone, CASE WHEN own_share > 0 THEN own END FROM changed
      ON CONFLICT (cell_code, day) DO UPDATE
        SET cell_area = EXCLUDED.cell_area, anyone = EXCLUDED.anyone, own = EXCLUDED.own
    )
    SELECT code, day, share, own_share, stale FROM computed
    WHERE stale OR (share > 0 AND (share, own_share) IS DISTINCT FROM (was, own_was))
    """
)

Stretches = Sequence[tuple[int, date, bytes]]


def _margin(reach_m: float) -> float:
    return reach_m / 50_000 + 0.0005  # degrees (a degree of longitude is over 50 km below 60°)


def recompute(conn: Connection, cell_days: Iterable[tuple[str, date]], reach_m: float) -> list[Any]:
    """Measures again the coverage of these (cell code, day) pairs from the stored tracks and
    saves it with its covered parts; returns each pair's (code, day, share, own_share)."""
    pairs = sorted(set(cell_days))
    if not pairs:
        return []
    params = {
        "codes": [p[0] for p in pairs],
        "days": [p[1] for p in pairs],
        "reach": reach_m,
        "margin": _margin(reach_m),
    }
    return list(conn.execute(_RECOMPUTE, params))


def _stretch_params(stretches: Stretches, skip: Iterable[tuple[str, date]], reach_m: float):
    skip = sorted(set(skip))
    return {
        "w": [s[0] for s in stretches],
        "d": [s[1] for s in stretches],
        "g": [s[2] for s in stretches],
        "skip_codes": [s[0] for s in skip],
        "skip_days": [s[1] for s in skip],
        "reach": reach_m,
        "margin": _margin(reach_m),
    }


def cells_near_stretches(
    conn: Connection, stretches: Stretches, skip: Iterable[tuple[str, date]], reach_m: float
) -> set[tuple[str, date]]:
    """(cell code, day) of the current cells a merge of these (worker, day, WKB) stretches
    would touch, but those in `skip`: the cell-days to lock before `merge`."""
    if not stretches:
        return set()
    rows = conn.execute(_CELLS_NEAR_STRETCHES, _stretch_params(stretches, skip, reach_m))
    return {(r.code, r.day) for r in rows}


def merge(
    conn: Connection, stretches: Stretches, skip: Iterable[tuple[str, date]], reach_m: float
) -> tuple[list[Any], set[tuple[str, date]]]:
    """Merges new stretches of track (worker, day, WKB MultiLineString in WGS84, already part
    of the stored tracks) into the coverage of the cells within reach, but those in `skip`.
    Returns (the cell-days whose coverage changed as (code, day, share, own_share), the
    cell-days kept without their covered part, to be measured again whole)."""
    if not stretches:
        return [], set()
    rows = conn.execute(_MERGE, _stretch_params(stretches, skip, reach_m)).all()
    return [r for r in rows if not r.stale], {(r.code, r.day) for r in rows if r.stale}


def drop_areas_before(conn: Connection, day: date) -> int:
    """Deletes the covered parts of cell-days before `day` (their shares stay); returns how
    many."""
    sql = text("DELETE FROM patrol_coverage_area WHERE day < :d")
    return conn.execute(sql, {"d": day}).rowcount
