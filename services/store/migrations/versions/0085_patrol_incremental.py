"""Patrol, folded incrementally: each worker-day keeps where its walk stands (the last counted
point and how many counted points its open segment holds), so a batch of later points is
walked on from there; each cell-day keeps the part of the cell within reach of anyone's
tracks and of its own workers' (`patrol_coverage_area`, in the cell's UTM zone), so a new
stretch of track is merged into it instead of the day's tracks being buffered again.

`patrol_reach_of(cell, lines, reach)` is the one measure of both: the part of `cell` within
`reach` of `lines` (NULL without lines). The lines are buffered 32 segments at a time
and the buffers united (the union of buffers is the buffer of the union): a walk going up and
down the same streets costs GEOS far more buffered as one line (a day of 1,920 points: ~2 s a
cell) than in windows (~0.15 s); the two differ by GEOS' own smoothing of a buffered line's
input (a few millionths of a cell's area).

A worker-day without a state (`open_points` NULL, as every row before this revision) is
walked again from its first point at its next change; a coverage row without an area is
measured again from the stored tracks at its next change.

Revision ID: 0085
Revises: 0075
"""

from alembic import op

revision = "0085"
down_revision = "0075"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE patrol_day
            ADD COLUMN last_counted_at timestamptz,
            ADD COLUMN last_lat double precision,
            ADD COLUMN last_lng double precision,
            ADD COLUMN last_own boolean,
            ADD COLUMN open_points integer;

        CREATE TABLE patrol_coverage_area (
            cell_code  text NOT NULL,
            day        date NOT NULL,
            cell_area  double precision NOT NULL CHECK (cell_area > 0),
            anyone     geometry NOT NULL,
            own        geometry,
            PRIMARY KEY (cell_code, day)
        );

        CREATE FUNCTION patrol_reach_of(cell geometry, lines geometry,
                                        reach double precision) RETURNS geometry
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            -- Round ends and corners: 16 segments a quarter circle (shapely's default).
            SELECT ST_Intersection(cell, ST_Union(ST_Buffer(w.win, reach, 'quad_segs=16')))
            FROM (
              SELECT ST_LineMerge(ST_Collect(s.geom ORDER BY s.path)) AS win
              FROM ST_DumpSegments(lines) s
              GROUP BY s.path[1:cardinality(s.path) - 1], (s.path[cardinality(s.path)] - 1) / 32
            ) w
        $$;
        """
    )


def downgrade() -> None:
    op.execute(
        "DROP FUNCTION patrol_reach_of(geometry, geometry, double precision); "
        "DROP TABLE patrol_coverage_area; ALTER TABLE patrol_day DROP COLUMN last_counted_at, "
        "DROP COLUMN last_lat, DROP COLUMN last_lng, DROP COLUMN last_own, DROP COLUMN open_points"
    )
