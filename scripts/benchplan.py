"""What a benchmark's load is made of: accounts signed in, the district's current cells, the
categories, and the reports planned over them (imported through scripts/benchlib, which puts
the repository on sys.path and gathers the benchmarks' tools)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

from sqlalchemy import text

from services.config import Config

# --- accounts -------------------------------------------------------------------------------


def make_grid_workers(engine, config: Config, cells: list[str], count: int, prefix: str):
    """Creates `count` grid workers, worker i bound to cells[i % len(cells)], and signs each
    in; returns [(user id, access token, cell code)] (see make_accounts)."""
    from tests.integration.drills.storm import AccountSpec, make_accounts

    specs = [AccountSpec("grid_worker", cells=(cells[i % len(cells)],)) for i in range(count)]
    made = make_accounts(engine, config, specs, prefix)
    return [(uid, token, spec.cells[0]) for (uid, token), spec in zip(made, specs, strict=True)]


def make_account(engine, config: Config, role: str, **scope) -> tuple[int, str]:
    """One account of `role` (operator: jurisdiction_code=…); returns (id, access token)."""
    from services.auth.tokens import open_session
    from services.auth.users import NewAccount, create_user

    account = NewAccount(
        f"bench-{role.replace('_', '-')}-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex + "Aa1!",
        role, "bench", None, (), scope.get("jurisdiction_code"), scope.get("department_code"),
    )  # fmt: skip
    with engine.begin() as conn:
        user_id = create_user(conn, account, development=False)
        return user_id, open_session(conn, config, user_id).access_token


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def current_cells(engine, prefix: str = "") -> list[tuple[str, float, float]]:
    """(code, lat, lng of a point inside) of every current cell whose code starts with prefix."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.code, ST_Y(ST_PointOnSurface(c.geom)), ST_X(ST_PointOnSurface(c.geom)) "
                "FROM grid_cell c JOIN grid_version v ON v.id = c.version_id "
                "AND v.valid_to IS NULL WHERE c.code LIKE :p ORDER BY c.code"
            ),
            {"p": prefix + "%"},
        ).all()
    return [(r[0].strip(), r[1], r[2]) for r in rows]


class ReportPlan:
    """Report bodies: categories round robin, each at a cell's inner point farther than that
    category's duplicate radius (+10 m) from every earlier report of the same category, so no
    report is merged as a duplicate (a merged report is never dispatched)."""

    def __init__(self, cells, categories, seed: int = 7):
        import random

        self.rng = random.Random(seed)
        self.cells = cells  # [(code, lat, lng)]
        self.categories = categories  # [(code, radius_m)]
        self.used: dict[str, dict[tuple[int, int], list[tuple[float, float]]]] = {}
        self.order = {c: self._shuffled() for c, _ in categories}
        self.n = 0
        # Metres east per degree of longitude, at one latitude for every point: scaled at each
        # point's own latitude, the x of two points 150 m apart north-south differed by ~160 m
        # too much at longitude 121 (an x far from 0), and a report now and then was merged.
        self.m_per_deg_lng = 111_320 * math.cos(math.radians(cells[0][1])) if cells else 0.0

    def _shuffled(self):
        cells = list(self.cells)
        self.rng.shuffle(cells)
        return iter(cells)

    def _free(self, code: str, radius: float, lat: float, lng: float) -> bool:
        grid = self.used.setdefault(code, {})
        mx, my = lng * self.m_per_deg_lng, lat * 110_540
        size = max(200.0, radius + 10)  # the neighbouring squares hold every point in reach
        key = (int(mx // size), int(my // size))
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for ox, oy in grid.get((key[0] + dx, key[1] + dy), ()):
                    if math.hypot(mx - ox, my - oy) <= radius + 10:
                        return False
        grid.setdefault(key, []).append((mx, my))
        return True

    def body(self) -> dict:
        from datetime import timedelta

        for _ in range(len(self.categories)):
            code, radius = self.categories[self.n % len(self.categories)]
            self.n += 1
            for _cell, lat, lng in self.order[code]:
                if self._free(code, radius, lat, lng):
                    return {
                        "id": str(uuid.uuid4()),
                        "category": code,
                        "description": f"巡查发现问题 #{self.n}",
                        "location": {"lat": lat, "lng": lng, "crs": "wgs84", "accuracy_m": 5.0},
                        "occurred_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
                    }
        raise RuntimeError("every spot of every category is used: ask for fewer reports")


def load_demo_data(engine) -> list[tuple[str, float]]:
    """The demo grid, departments and routing rules; returns [(category, duplicate radius)]."""
    from geo.demo import load_demo
    from services.routing.rulefile import load_demo_rules

    load_demo(engine)
    load_demo_rules(engine, actor="bench")
    return categories(engine)


def categories(engine) -> list[tuple[str, float]]:
    """The active categories with their duplicate radius (m), by code."""
    with engine.connect() as conn:
        return [
            (r.code, float(r.duplicate_radius_m))
            for r in conn.execute(
                text("SELECT code, duplicate_radius_m FROM category WHERE active ORDER BY code")
            )
        ]
