"""Worker-day figures and tracks (`patrol_day`): written whole each time the day's points
change; the distance is the length of the counted segments on the WGS84 ellipsoid, the track
kept is those segments simplified (Douglas-Peucker: a track crossing itself keeps no more
vertices than one that does not). Plain functions over a Connection; they commit nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, text

# About a metre: walking points 15 s apart keep their corners, straight runs lose their middles.
SIMPLIFY_DEGREES = 0.00001


@dataclass(frozen=True)
class DayFigures:
    worker_id: int
    day: date
    first_at: datetime
    last_at: datetime
    points: int
    flagged: int
    segments: int
    patrol_s: float
    own_cells_s: float
    wkt: str | None


_UPSERT = text(
    f"""
    INSERT INTO patrol_day AS d (worker_id, day, first_at, last_at, points, flagged, segments,
                                 distance_m, patrol_s, own_cells_s, track, updated_at)
    SELECT k.w, k.d, k.first_at, k.last_at, k.points, k.flagged, k.segments,
           COALESCE(ST_Length(CAST(g.geom AS geography)), 0), k.patrol_s, k.own_s,
           ST_Multi(ST_Simplify(g.geom, {SIMPLIFY_DEGREES})), now()
    FROM unnest(CAST(:w AS bigint[]), CAST(:d AS date[]), CAST(:first_at AS timestamptz[]),
                CAST(:last_at AS timestamptz[]), CAST(:points AS int[]), CAST(:flagged AS int[]),
                CAST(:segments AS int[]), CAST(:patrol_s AS float8[]), CAST(:own_s AS float8[]),
                CAST(:wkt AS text[]))
         AS k (w, d, first_at, last_at, points, flagged, segments, patrol_s, own_s, wkt)
    CROSS JOIN LATERAL (SELECT ST_GeomFromText(k.wkt, 4326) AS geom) g
    ON CONFLICT (worker_id, day) DO UPDATE SET
        first_at = EXCLUDED.first_at, last_at = EXCLUDED.last_at, points = EXCLUDED.points,
        flagged = EXCLUDED.flagged, segments = EXCLUDED.segments,
        distance_m = EXCLUDED.distance_m, patrol_s = EXCLUDED.patrol_s,
        own_cells_s = EXCLUDED.own_cells_s, track = EXCLUDED.track, updated_at = now()
    """
)

# The current cells within reach of the stored tracks of some worker-days (a box a little
# larger than any reach: the coverage itself decides what is within it).
_CELLS_NEAR = text(
    """
    SELECT DISTINCT rtrim(c.code) AS code, d.day
    FROM unnest(CAST(:w AS bigint[]), CAST(:d AS date[])) AS k (worker_id, day)
    JOIN patrol_day d ON d.worker_id = k.worker_id AND d.day = k.day AND d.track IS NOT NULL
    JOIN grid_cell c ON c.geom && ST_Expand(d.track, :margin)
    JOIN grid_version v ON v.id = c.version_id AND v.valid_to IS NULL
    """
)


def save_days(conn: Connection, figures: Sequence[DayFigures]) -> None:
    """Writes each worker-day's figures and track (replacing what was there)."""
    if not figures:
        return
    columns = {
        "w": [f.worker_id for f in figures],
        "d": [f.day for f in figures],
        "first_at": [f.first_at for f in figures],
        "last_at": [f.last_at for f in figures],
        "points": [f.points for f in figures],
        "flagged": [f.flagged for f in figures],
        "segments": [f.segments for f in figures],
        "patrol_s": [f.patrol_s for f in figures],
        "own_s": [f.own_cells_s for f in figures],
        "wkt": [f.wkt for f in figures],
    }
    conn.execute(_UPSERT, columns)


def cells_near(
    conn: Connection, days: Sequence[tuple[int, date]], reach_m: float
) -> set[tuple[str, date]]:
    """(cell code, day) of the current cells near the stored tracks of these worker-days."""
    if not days:
        return set()
    margin = reach_m / 100_000 + 0.0005  # degrees (a degree of longitude is over 50 km below 60°)
    rows = conn.execute(
        _CELLS_NEAR, {"w": [k[0] for k in days], "d": [k[1] for k in days], "margin": margin}
    )
    return {(r.code, r.day) for r in rows}
