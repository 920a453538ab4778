"""Raw patrol points: partitions by local day, inserted once per (worker, day, time), read back
per worker-day with whether each lies inside the worker's own cells. Plain functions over a
Connection; they commit nothing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text

WorkerDay = tuple[int, date]

_INSERT = text(
    """
    WITH fresh AS (
      INSERT INTO patrol_point (worker_id, day, t, lat, lng, accuracy_m)
      SELECT * FROM unnest(CAST(:w AS bigint[]), CAST(:d AS date[]), CAST(:t AS timestamptz[]),
                           CAST(:lat AS float8[]), CAST(:lng AS float8[]), CAST(:acc AS real[]))
      ON CONFLICT DO NOTHING
      RETURNING worker_id, day
    )
    SELECT DISTINCT worker_id, day FROM fresh
    """
)

_COPY_WALKED = "COPY patrol_point (worker_id, day, t, lat, lng, accuracy_m, flagged) FROM STDIN"
_NULL = "\\N"  # COPY text's NULL

_DAY_POINTS = text(
    """
    SELECT p.worker_id, p.day, p.t AS at, p.lat, p.lng, p.accuracy_m, p.flagged,
           EXISTS (
             SELECT 1 FROM user_cell uc
             JOIN grid_cell c ON c.code = CAST(uc.cell_code AS char(15))
             JOIN grid_version v ON v.id = c.version_id AND v.valid_to IS NULL
             WHERE uc.user_id = p.worker_id
               AND ST_Covers(c.geom, ST_SetSRID(ST_MakePoint(p.lng, p.lat), 4326))
           ) AS own
    FROM unnest(CAST(:w AS bigint[]), CAST(:d AS date[])) AS k (worker_id, day)
    JOIN patrol_point p ON p.worker_id = k.worker_id AND p.day = k.day
    ORDER BY p.worker_id, p.day, p.t
    """
)

_FLAG = text(
    """
    UPDATE patrol_point p SET flagged = k.flagged
    FROM unnest(CAST(:w AS bigint[]), CAST(:d AS date[]), CAST(:t AS timestamptz[]),
                CAST(:f AS boolean[])) AS k (worker_id, day, t, flagged)
    WHERE p.worker_id = k.worker_id AND p.day = k.day AND p.t = k.t
    """
)

# Advisory locks taken in one sorted order by every writer (worker-days, then cell-days), so
# two processors touching the same day never deadlock and the second sees the first's commit.
_LOCK = text(
    """
    SELECT count(pg_advisory_xact_lock(k))
    FROM (SELECT DISTINCT hashtextextended(key, 0) AS k FROM unnest(CAST(:keys AS text[])) key
          ORDER BY 1) s
    """
)


def ensure_partition(conn: Connection, day: date) -> None:
    """Creates the partition of `day` unless it exists (the owner's function)."""
    conn.execute(text("SELECT patrol_point_partition(:d)"), {"d": day})


def drop_partitions_before(conn: Connection, day: date) -> int:
    """Drops every partition of days before `day`; returns how many."""
    return int(conn.execute(text("SELECT patrol_point_drop_before(:d)"), {"d": day}).scalar_one())


PointRow = tuple[int, date, datetime, float, float, float | None]


def insert_points(conn: Connection, rows: Sequence[PointRow]) -> set[WorkerDay]:
    """Inserts (worker, day, t, lat, lng, accuracy) rows, a point already stored (same worker
    and time) left as it is; returns the worker-days that gained a point."""
    if not rows:
        return set()
    w, d, t, lat, lng, acc = (list(c) for c in zip(*rows, strict=True))
    fresh = conn.execute(_INSERT, {"w": w, "d": d, "t": t, "lat": lat, "lng": lng, "acc": acc})
    return {(r.worker_id, r.day) for r in fresh}


def insert_walked(conn: Connection, rows: Sequence[PointRow], flags: Sequence[bool]) -> None:
    """Inserts points later than any stored of their worker-day (so none is stored yet: the
    caller holds the worker-day's lock) with their flags as walked, by COPY."""
    if not rows:
        return
    # One block of COPY text: a row written by write_row costs several times its formatting.
    text_rows = "".join(
        f"{w}\t{d.isoformat()}\t{t.isoformat()}\t{lat!r}\t{lng!r}\t"
        f"{_NULL if acc is None else repr(float(acc))}\t{'t' if flagged else 'f'}\n"
        for (w, d, t, lat, lng, acc), flagged in zip(rows, flags, strict=True)
    )
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(_COPY_WALKED) as copy:
        copy.write(text_rows)


def lock(conn: Connection, keys: Iterable[str]) -> None:
    """Transaction-level advisory locks on `keys`, in sorted order."""
    keys = sorted(set(keys))
    if keys:
        conn.execute(_LOCK, {"keys": keys})


def day_points(conn: Connection, days: Iterable[WorkerDay]) -> dict[WorkerDay, list[Any]]:
    """Each worker-day's points in time order (rows with at, lat, lng, accuracy_m, flagged, own)."""
    days = sorted(days)
    out: dict[WorkerDay, list[Any]] = {key: [] for key in days}
    if not days:
        return out
    result = conn.execute(_DAY_POINTS, {"w": [k[0] for k in days], "d": [k[1] for k in days]})
    for row in result:
        out[(row.worker_id, row.day)].append(row)
    return out


def set_flags(conn: Connection, changes: Sequence[tuple[int, date, datetime, bool]]) -> None:
    """Sets the flag of the (worker, day, t) points listed."""
    if changes:
        w, d, t, f = (list(c) for c in zip(*changes, strict=True))
        conn.execute(_FLAG, {"w": w, "d": d, "t": t, "f": f})
