"""Known patrol tracks over known cells, and their ground truth: the cell and the track
projected to metres by PostGIS, measured with shapely; the distance on the ellipsoid."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import shapely
from sqlalchemy import Engine, text

ZONE = ZoneInfo("Asia/Shanghai")
UTM = 32651  # Zhenhai (121.7° E) lies in UTM zone 51 N
REACH_M = 30.0
DEG_LAT_M = 111_000.0


@dataclass(frozen=True)
class Box:
    """A current cell's bounds (degrees) and its code."""

    code: str
    west: float
    south: float
    east: float
    north: float

    @property
    def middle(self) -> tuple[float, float]:
        return (self.south + self.north) / 2, (self.west + self.east) / 2


def cell_box(engine: Engine, code: str) -> Box:
    sql = (
        "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM grid_cell c "
        "JOIN grid_version v ON v.id = c.version_id AND v.valid_to IS NULL WHERE c.code = :c"
    )
    with engine.connect() as conn:
        return Box(code, *conn.execute(text(sql), {"c": code}).one())


# Cells handed out to earlier tests of this process (its database is theirs): coverage adds up.
_WALKED: set[str] = set()
# How far a cell handed out lies from a cell handed out before and from any stored track (about
# 110 m): a walk here goes up to 0.0004° (~40 m) past its cells' edges and covers 30 m beyond,
# so the cell next to a walked one starts with coverage its own test never walked.
APART_DEG = 0.0011

_FRESH = """
    SELECT c.* FROM grid_cell c
    JOIN grid_version v ON v.id = c.version_id AND v.valid_to IS NULL
    WHERE ST_NPoints(c.geom) = 5
      AND (CAST(:among AS text[]) IS NULL OR rtrim(c.code) = ANY(CAST(:among AS text[])))
      AND NOT EXISTS (SELECT 1 FROM grid_cell r
                      WHERE r.version_id = c.version_id AND rtrim(r.code) = ANY(:taken)
                        AND r.geom && ST_Expand(c.geom, :apart))
      AND NOT EXISTS (SELECT 1 FROM patrol_day d WHERE d.track && ST_Expand(c.geom, :apart))
"""


def square_pair(
    engine: Engine, taken: set[str], *, among: set[str] | None = None
) -> tuple[Box, Box]:
    """Two current cells side by side west → east, both whole squares, far (APART_DEG) from
    the cells in `taken` or handed out before and from every stored track of any day, so
    that no coverage but the caller's own walks reaches them; only cells of `among` when
    given (the first pair of them, not a random one)."""
    sql = f"""
        WITH fresh AS MATERIALIZED ({_FRESH})
        SELECT rtrim(a.code), rtrim(b.code)
        FROM (SELECT * FROM fresh ORDER BY code OFFSET :skip LIMIT 100) a
        JOIN fresh b ON b.geom && a.geom
         AND abs(ST_XMin(b.geom) - ST_XMax(a.geom)) < 1e-9
         AND abs(ST_YMin(b.geom) - ST_YMin(a.geom)) < 1e-9
         AND abs(ST_YMax(b.geom) - ST_YMax(a.geom)) < 1e-9
        ORDER BY a.code LIMIT 1
    """
    params = {"taken": sorted(taken | _WALKED), "apart": APART_DEG,
              "among": None if among is None else sorted(among),
              "skip": 0 if among is not None else uuid.uuid4().int % 2000}  # fmt: skip
    with engine.connect() as conn:
        a, b = conn.execute(text(sql), params).one()
    taken.update((a, b))
    _WALKED.update((a, b))
    return cell_box(engine, a), cell_box(engine, b)


def east_of(engine: Engine, box: Box) -> Box | None:
    """The current whole square cell sharing `box`'s east edge, if any."""
    sql = """
        SELECT rtrim(c.code) FROM grid_cell c
        JOIN grid_version v ON v.id = c.version_id AND v.valid_to IS NULL
        WHERE ST_NPoints(c.geom) = 5 AND abs(ST_XMin(c.geom) - :east) < 1e-9
          AND abs(ST_YMin(c.geom) - :south) < 1e-9 AND abs(ST_YMax(c.geom) - :north) < 1e-9
    """
    with engine.connect() as conn:
        code = conn.execute(text(sql), {"east": box.east, "south": box.south,
                                        "north": box.north}).scalar()  # fmt: skip
    return None if code is None else cell_box(engine, code)


def line(start: tuple[float, float], end: tuple[float, float], t0: datetime, *, step_s: int = 10,
         speed_mps: float = 1.2) -> list[dict]:  # fmt: skip
    """Pings walking straight from `start` to `end` (lat, lng) at `speed_mps`, one every
    `step_s` seconds (the last exactly at `end`), coordinates already on 7 decimals."""
    (lat0, lng0), (lat1, lng1) = start, end
    metres = shapely.Point(lng0, lat0).distance(shapely.Point(lng1, lat1)) * DEG_LAT_M
    steps = max(1, int(metres / (speed_mps * step_s)))
    out = []
    for i in range(steps + 1):
        f = i / steps
        out.append({"t": (t0 + timedelta(seconds=i * step_s)).astimezone(UTC).isoformat(),
                    "lat": round(lat0 + f * (lat1 - lat0), 7),
                    "lng": round(lng0 + f * (lng1 - lng0), 7),
                    "crs": "wgs84", "accuracy_m": 5.0})  # fmt: skip
    return out


def today_start(now: datetime | None = None) -> datetime:
    """A start for today's walks: 5 minutes ago, or just after local midnight when that is
    later (points up to 10 minutes ahead are accepted, walks here are shorter)."""
    now = now or datetime.now(UTC)
    midnight = datetime.combine(now.astimezone(ZONE).date(), datetime.min.time(), ZONE)
    return max(now - timedelta(minutes=5), midnight + timedelta(seconds=1))


def post_pings(api, headers: dict, pings: list[dict]) -> None:
    for start in range(0, len(pings), 500):
        body = {"batch_id": str(uuid.uuid4()), "pings": pings[start : start + 500]}
        resp = api.post("/api/v1/patrol/pings", headers=headers, json=body)
        assert resp.status_code in (200, 201, 202), resp.get_json()


def projected(engine: Engine, wkt: str) -> shapely.Geometry:
    with engine.connect() as conn:
        found = conn.execute(text("SELECT ST_AsBinary(ST_Transform(ST_GeomFromText(:g, 4326), "
                                  f"{UTM}))"), {"g": wkt}).scalar_one()  # fmt: skip
    return shapely.from_wkb(bytes(found))


def cell_metric(engine: Engine, code: str) -> shapely.Geometry:
    sql = (f"SELECT ST_AsBinary(ST_Transform(c.geom, {UTM})) FROM grid_cell c JOIN grid_version v "
           "ON v.id = c.version_id AND v.valid_to IS NULL WHERE c.code = :c")  # fmt: skip
    with engine.connect() as conn:
        return shapely.from_wkb(bytes(conn.execute(text(sql), {"c": code}).scalar_one()))


def wkt_of(pings: list[dict]) -> str:
    return "LINESTRING(" + ",".join(f"{p['lng']} {p['lat']}" for p in pings) + ")"


def true_coverage(engine: Engine, code: str, walks: list[list[dict]]) -> float:
    """Share of the cell's area within REACH_M of any of these walks (shapely, in metres)."""
    cell = cell_metric(engine, code)
    if not walks:
        return 0.0
    zone = shapely.union_all([projected(engine, wkt_of(w)).buffer(REACH_M) for w in walks])
    return cell.intersection(zone).area / cell.area


def true_distance_m(engine: Engine, pings: list[dict]) -> float:
    """Length of the walk on the WGS84 ellipsoid (PostGIS geography)."""
    with engine.connect() as conn:
        sql = "SELECT ST_Length(CAST(ST_GeomFromText(:g, 4326) AS geography))"
        return float(conn.execute(text(sql), {"g": wkt_of(pings)}).scalar_one())
