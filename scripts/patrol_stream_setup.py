"""Setting up and measuring the patrol processor's half of `./scripts/bench patrol`: the bench's
walkers (grid workers bound to the district's cells, rows only), a full recomputation of a
day's coverage, and the storage of a worker-day."""

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


def full_recomputation(engine, config, day) -> dict:
    """Every cell-day of `day` near a track measured again from the stored tracks."""
    started = time.monotonic()
    with engine.begin() as conn:
        pairs = {
            (r.code, day)
            for r in conn.execute(
                text(
                    "SELECT DISTINCT rtrim(c.code) AS code FROM patrol_day d JOIN grid_cell c "
                    "ON c.geom && ST_Expand(d.track, 0.001) JOIN grid_version v "
                    "ON v.id = c.version_id AND v.valid_to IS NULL WHERE d.day = :d"
                ),
                {"d": day},
            )
        }
        rows = coverage.recompute(conn, pairs, config.patrol_reach_m)
    return {"cell_days": len(rows), "seconds": round(time.monotonic() - started, 3)}


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
    n = max(1, row.n)
    return {
        "worker_days": row.n,
        "raw_bytes_per_worker_day": round(raw / n),
        "raw_points_per_worker_day": round(float(row.points or 0), 1),
        "simplified_track_bytes_per_worker_day": round(float(row.track or 0)),
        "kept_row_bytes_per_worker_day": round(float(row.whole or 0)),
        "simplified_vertices_per_worker_day": round(float(row.vertices or 0), 1),
    }
