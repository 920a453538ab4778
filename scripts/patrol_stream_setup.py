"""Setting up and measuring the patrol processor's half of `./scripts/bench patrol`: the bench's
walkers (grid workers bound to the district's cells, rows only), a full recomputation of a
day's coverage, the processor's measure against PostGIS alone, and the storage of a worker-day
and of a cell-day's covered parts."""

from __future__ import annotations

import json
import time

from sqlalchemy import text

from services.store.patrol import coverage


def make_workers(engine, count: int, prefix: str) -> list[tuple[int, str, list]]:
    """`count` grid workers (rows only: the processor needs no sign-in), one per cell of the
    district in turn; returns (id, cell code, outer ring)."""
    with engine.begin() as conn:
        cells = conn.execute(
            text(
                "SELECT rtrim(c.code) AS code, ST_AsGeoJSON(c.geom) AS g FROM grid_cell c "
                "JOIN grid_version v ON v.id = c.version_id AND v.valid_to IS NULL ORDER BY c.code"
            )
        ).all()
        ids = (
            conn.execute(
                text(
                    "INSERT INTO app_user (username, password_hash, role) SELECT :p || g, 'x', "
                    "'grid_worker' FROM generate_series(1, :n) g RETURNING id"
                ),
                {"p": prefix, "n": count},
            )
            .scalars()
            .all()
        )
        picked = [cells[i % len(cells)] for i in range(count)]
        conn.execute(
            text(
                "INSERT INTO user_cell (user_id, cell_code) SELECT * FROM "
                "unnest(CAST(:u AS bigint[]), CAST(:c AS text[]))"
            ),
            {"u": ids, "c": [c.code for c in picked]},
        )
    out = []
    for worker_id, cell in zip(ids, picked, strict=True):
        geometry = json.loads(cell.g)
        polygon = (
            geometry["coordinates"][0]
            if geometry["type"] == "MultiPolygon"
            else geometry["coordinates"]
        )
        out.append((worker_id, cell.code, [tuple(p) for p in polygon[0]]))
    return out


def full_recomputation(engine, config, day, per_statement: int = 40) -> dict:
    """Every cell-day of `day` near a track measured again from the stored tracks,
    `per_statement` cell-days a statement (the app's statement timeout is 30 s)."""
    started = time.monotonic()
    with engine.begin() as conn:
        pairs = sorted(
            (r.code, day)
            for r in conn.execute(
                text(
                    "SELECT DISTINCT rtrim(c.code) AS code FROM patrol_day d JOIN grid_cell c "
                    "ON c.geom && ST_Expand(d.track, 0.001) JOIN grid_version v "
                    "ON v.id = c.version_id AND v.valid_to IS NULL WHERE d.day = :d"
                ),
                {"d": day},
            )
        )
    rows = []
    for i in range(0, len(pairs), per_statement):
        with engine.begin() as conn:
            rows += coverage.recompute(conn, pairs[i : i + per_statement], config.patrol_reach_m)
    return {
        "cell_days": len(rows),
        "seconds": round(time.monotonic() - started, 3),
        "cell_days_per_statement": per_statement,
    }


def storage(engine, day) -> dict:
    """Bytes of a worker-day: the raw points' partition (heap, index, TOAST) and the kept row
    with its simplified track."""
    with engine.connect() as conn:
        part = f"patrol_point_{day:%Y%m%d}"
        raw = (
            conn.execute(
                text("SELECT pg_total_relation_size(to_regclass(:p))"), {"p": part}
            ).scalar()
            or 0
        )
        row = conn.execute(
            text(
                "SELECT count(*) AS n, avg(pg_column_size(track)) AS track, "
                "avg(pg_column_size(d.*)) AS whole, avg(ST_NPoints(track)) AS vertices, "
                "avg(points) AS points FROM patrol_day d WHERE day = :d"
            ),
            {"d": day},
        ).one()
        area_bytes = conn.execute(
            text("SELECT round(avg(pg_column_size(a.*))) FROM patrol_coverage_area a "
                 "WHERE day = :d"), {"d": day}
        ).scalar()  # fmt: skip
    n = max(1, row.n)
    return {
        "worker_days": row.n,
        "raw_bytes_per_worker_day": round(raw / n),
        "raw_points_per_worker_day": round(float(row.points or 0), 1),
        "simplified_track_bytes_per_worker_day": round(float(row.track or 0)),
        "kept_row_bytes_per_worker_day": round(float(row.whole or 0)),
        "simplified_vertices_per_worker_day": round(float(row.vertices or 0), 1),
        "coverage_area_bytes_per_cell_day": int(area_bytes or 0),
    }


# The same cell-days measured whole by PostGIS alone (migration 0085's `patrol_reach_of`: the
# clipped tracks buffered 32 segments at a time and united inside the database).
_POSTGIS = """
    SELECT rtrim(c.code) AS code,
           COALESCE(ST_Area(patrol_reach_of(c.m, ST_Collect(ST_ClipByBox2D(
             ST_Transform(d.track, :srid), ST_Expand(ST_Envelope(c.m), :reach + 1))), :reach)), 0)
             / ST_Area(c.m) AS share
    FROM (SELECT c.code, c.geom, ST_Transform(c.geom, :srid) AS m FROM grid_cell c
          JOIN grid_version v ON v.id = c.version_id AND v.valid_to IS NULL
          WHERE rtrim(c.code) = ANY(:codes)) c
    JOIN patrol_day d ON d.day = :d AND d.track && ST_Expand(c.geom, 0.0011)
    GROUP BY c.code, c.m
"""


def engines_compared(engine, config, day, cells: int = 40) -> dict:
    """The coverage (anyone's share) of up to `cells` cell-days of `day` measured whole the
    processor's way (`coverage.recompute`: PostGIS projects and clips, shapely buffers and
    unites, the result saved) and by PostGIS alone in one set-wise statement, with the
    seconds each took and their largest difference."""
    reach = config.patrol_reach_m
    with engine.begin() as conn:
        codes = conn.execute(text("SELECT cell_code FROM patrol_coverage WHERE day = :d "
                                  "ORDER BY cell_code LIMIT :n"), {"d": day, "n": cells}
                             ).scalars().all()  # fmt: skip
        started = time.monotonic()
        rows = coverage.recompute(conn, [(c, day) for c in codes], reach)
        processor_s = time.monotonic() - started
        started = time.monotonic()
        srid = 32651  # the bench's district lies in UTM zone 51 N
        whole = conn.execute(text(_POSTGIS), {"srid": srid, "reach": reach, "d": day,
                                              "codes": list(codes)}).all()  # fmt: skip
        postgis_s = time.monotonic() - started
    measured = {r.code: r.share for r in rows}
    return {
        "cell_days": len(codes),
        "processor_s": round(processor_s, 3),
        "postgis_set_wise_s": round(postgis_s, 3),
        "largest_share_difference": max(
            (abs(r.share - measured[r.code]) for r in whole if r.code in measured), default=None
        ),
    }
