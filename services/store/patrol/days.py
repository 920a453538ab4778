"""Worker-day figures and tracks (`patrol_day`) with where the day's walk stands (the last
counted point, the points of its open segment). The distance is the length of the counted
segments on the WGS84 ellipsoid: a day walked again from its first point measures them all, a
stretch walked on adds its own pieces' length to the distance so far. The track kept is the
segments simplified, written by the caller (`services.patrol.tracks`). Plain functions over a
Connection; they commit nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text


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
    last_counted_at: datetime | None
    last_lat: float | None
    last_lng: float | None
    last_own: bool | None
    open_points: int
    distance_before: float
    track: bytes | None


_UPSERT = text(
    """
    INSERT INTO patrol_day AS d (worker_id, day, first_at, last_at, points, flagged, segments,
                                 distance_m, patrol_s, own_cells_s, track, last_counted_at,
                                 last_lat, last_lng, last_own, open_points, updated_at)
    SELECT k.w, k.d, k.first_at, k.last_at, k.points, k.flagged, k.segments,
           k.before + COALESCE(ST_Length(CAST(g.geom AS geography)), 0), k.patrol_s, k.own_s,
           ST_GeomFromWKB(k.track, 4326),
           k.last_t, k.last_lat, k.last_lng, k.last_own, k.open_points, now()
    FROM unnest(CAST(:w AS bigint[]), CAST(:d AS date[]), CAST(:first_at AS timestamptz[]),
                CAST(:last_at AS timestamptz[]), CAST(:points AS int[]), CAST(:flagged AS int[]),
                CAST(:segments AS int[]), CAST(:patrol_s AS float8[]), CAST(:own_s AS float8[]),
                CAST(:wkt AS text[]), CAST(:before AS float8[]), CAST(:track AS bytea[]),
                CAST(:last_t AS timestamptz[]),
                CAST(:last_lat AS float8[]), CAST(:last_lng AS float8[]),
                CAST(:last_own AS boolean[]), CAST(:open_points AS int[]))
         AS k (w, d, first_at, last_at, points, flagged, segments, patrol_s, own_s, wkt, before,
               track, last_t, last_lat, last_lng, last_own, open_points)
    CROSS JOIN LATERAL (SELECT ST_GeomFromText(k.wkt, 4326) AS geom) g
    ON CONFLICT (worker_id, day) DO UPDATE SET
        first_at = EXCLUDED.first_at, last_at = EXCLUDED.last_at, points = EXCLUDED.points,
        flagged = EXCLUDED.flagged, segments = EXCLUDED.segments,
        distance_m = EXCLUDED.distance_m, patrol_s = EXCLUDED.patrol_s,
        own_cells_s = EXCLUDED.own_cells_s, track = EXCLUDED.track,
        last_counted_at = EXCLUDED.last_counted_at, last_lat = EXCLUDED.last_lat,
        last_lng = EXCLUDED.last_lng, last_own = EXCLUDED.last_own,
        open_points = EXCLUDED.open_points, updated_at = now()
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
    """Writes each worker-day's figures, track (WKB) and walk state, replacing what was there;
    the distance is `distance_before` and the length of the segments of `wkt`."""
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
        "before": [f.distance_before for f in figures],
        "track": [f.track for f in figures],
        "last_t": [f.last_counted_at for f in figures],
        "last_lat": [f.last_lat for f in figures],
        "last_lng": [f.last_lng for f in figures],
        "last_own": [f.last_own for f in figures],
        "open_points": [f.open_points for f in figures],
    }
    conn.execute(_UPSERT, columns)


_STATES = text(
    """
    SELECT k.worker_id, k.day, d.first_at, d.last_at, d.points, d.flagged, d.segments,
           d.distance_m, d.patrol_s, d.own_cells_s, ST_AsBinary(d.track) AS track,
           d.last_counted_at, d.last_lat, d.last_lng, d.last_own, d.open_points
    FROM unnest(CAST(:w AS bigint[]), CAST(:d AS date[])) AS k (worker_id, day)
    JOIN patrol_day d ON d.worker_id = k.worker_id AND d.day = k.day
    """
)

_OWN_CELLS = text(
    """
    SELECT uc.user_id, ST_AsBinary(ST_Collect(c.geom)) AS cells
    FROM user_cell uc
    JOIN grid_cell c ON c.code = CAST(uc.cell_code AS char(15))
    JOIN grid_version v ON v.id = c.version_id AND v.valid_to IS NULL
    WHERE uc.user_id = ANY(CAST(:w AS bigint[]))
    GROUP BY uc.user_id
    """
)


def states(conn: Connection, days: Sequence[tuple[int, date]]) -> dict[tuple[int, date], Any]:
    """The stored figures, track (WKB) and walk state of those of these worker-days that have
    a row (`open_points` NULL: a row kept before walk states were)."""
    if not days:
        return {}
    rows = conn.execute(_STATES, {"w": [k[0] for k in days], "d": [k[1] for k in days]})
    return {(r.worker_id, r.day): r for r in rows}


def own_cells(conn: Connection, workers: Sequence[int]) -> dict[int, bytes]:
    """Each worker's current cells as one WKB geometry (WGS84); workers without cells absent."""
    if not workers:
        return {}
    rows = conn.execute(_OWN_CELLS, {"w": list(workers)})
    return {r.user_id: bytes(r.cells) for r in rows}


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
