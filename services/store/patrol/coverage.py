"""Coverage of cells by day (`patrol_coverage`): the share of a cell's area within the reach
(GRIDFLOW_PATROL_REACH_M) of the day's counted tracks of anyone, and of the tracks of the
cell's own workers. Measured in the cell's UTM zone, each track clipped to the cell's box
widened by the reach, the day's clipped tracks buffered together (one buffer, no union of
buffers). A cell-day with no coverage has no row. Plain functions over a Connection; they
commit nothing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

# Round ends and corners drawn with 16 segments a quarter circle (shapely's default).
_RECOMPUTE = text(
    """
    WITH target AS (
      SELECT DISTINCT code, day
      FROM unnest(CAST(:codes AS text[]), CAST(:days AS date[])) AS k (code, day)
    ), cell AS (
      SELECT t.code, t.day, c.geom,
             CASE WHEN ST_Y(ST_Centroid(c.geom)) < 0 THEN 32700 ELSE 32600 END
               + floor((ST_X(ST_Centroid(c.geom)) + 180) / 6)::int + 1 AS srid
      FROM target t
      JOIN grid_cell c ON c.code = CAST(t.code AS char(15))
      JOIN grid_version v ON v.id = c.version_id AND v.valid_to IS NULL
    ), metric AS (
      SELECT code, day, srid, geom, ST_Transform(geom, srid) AS m FROM cell
    ), reached AS (
      SELECT m.code, m.day, ST_Area(m.m) AS area,
             ST_Area(ST_Intersection(m.m, ST_Buffer(ST_Collect(r.near), :reach,
                                                    'quad_segs=16'))) AS anyone,
             ST_Area(ST_Intersection(m.m, ST_Buffer(ST_Collect(r.near) FILTER (WHERE r.own),
                                                    :reach, 'quad_segs=16'))) AS own
      FROM metric m
      LEFT JOIN LATERAL (
        SELECT ST_ClipByBox2D(ST_Transform(d.track, m.srid),
                              ST_Expand(ST_Envelope(m.m), :reach + 1)) AS near,
               EXISTS (SELECT 1 FROM user_cell uc
                       WHERE uc.user_id = d.worker_id AND uc.cell_code = m.code) AS own
        FROM patrol_day d
        WHERE d.day = m.day AND d.track && ST_Expand(m.geom, :margin)
      ) r ON true
      GROUP BY m.code, m.day, m.m
    ), computed AS (
      SELECT code, day, LEAST(1, COALESCE(anyone, 0) / area) AS share,
             LEAST(1, COALESCE(own, 0) / area) AS own_share
      FROM reached
    ), saved AS (
      INSERT INTO patrol_coverage AS p (cell_code, day, share, own_share, updated_at)
      SELECT code, day, share, own_share, now() FROM computed WHERE share > 0
      ON CONFLICT (cell_code, day) DO UPDATE
        SET share = EXCLUDED.share, own_share = EXCLUDED.own_share, updated_at = now()
        WHERE (p.share, p.own_share) IS DISTINCT FROM (EXCLUDED.share, EXCLUDED.own_share)
    ), dropped AS (
      DELETE FROM patrol_coverage p USING computed c
      WHERE c.share = 0 AND p.cell_code = c.code AND p.day = c.day
    )
    SELECT code, day, share, own_share FROM computed
    """
)


def recompute(conn: Connection, cell_days: Iterable[tuple[str, date]], reach_m: float) -> list[Any]:
    """Measures again the coverage of these (cell code, day) pairs from the stored tracks and
    saves it; returns each pair's (code, day, share, own_share)."""
    pairs = sorted(set(cell_days))
    if not pairs:
        return []
    params = {
        "codes": [p[0] for p in pairs],
        "days": [p[1] for p in pairs],
        "reach": reach_m,
        "margin": reach_m / 50_000 + 0.0005,
    }
    return list(conn.execute(_RECOMPUTE, params))
