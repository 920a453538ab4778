"""A grid to report into: the demo grid (loaded once per test run) and points inside its cells."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, text


@dataclass(frozen=True)
class CellPoint:
    code: str
    lat: float
    lng: float

    @property
    def district(self) -> str:
        return self.code[:6]

    @property
    def street(self) -> str:
        return self.code[:9]


def cell_points(engine: Engine, count: int = 6) -> list[CellPoint]:
    """Loads the demo grid if no grid is loaded; a point well inside each of `count` cells of
    one district (cells of two different streets among them when the grid has them)."""
    from geo.demo import load_demo

    load_demo(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.code, ST_Y(ST_PointOnSurface(c.geom)) AS lat, "
                "ST_X(ST_PointOnSurface(c.geom)) AS lng FROM grid_cell c "
                "JOIN grid_version v ON v.id = c.version_id AND v.valid_to IS NULL "
                "WHERE ST_Area(c.geom::geography) > 20000 ORDER BY c.code"
            )
        ).all()
    assert len(rows) >= count, "the demo grid should have cells"
    first_street = [r for r in rows if r.code[:9] == rows[0].code[:9]][: count - 1]
    other_street = [r for r in rows if r.code[:9] != rows[0].code[:9]][:1]
    chosen = first_street + other_street
    return [CellPoint(r.code.strip(), r.lat, r.lng) for r in chosen]
