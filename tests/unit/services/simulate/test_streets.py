"""Simulated patrols walk the streets of their cell: inside it, on straight streets between
corners, at a walker's pace, covering more of the cell as the day goes on."""

import math
import random

from services.domain.patrol import Ping, ground_distance_m
from services.simulate.streets import StreetWalk, inside

# A 250 m square cell near Zhenhai (lng/lat ring).
DX = 250 / (111_320 * math.cos(math.radians(29.95)))
DY = 250 / 111_320
RING = [(121.70, 29.95), (121.70 + DX, 29.95), (121.70 + DX, 29.95 + DY), (121.70, 29.95 + DY),
        (121.70, 29.95)]  # fmt: skip


def _walk(steps: int, seed: int = 3) -> list[tuple[float, float]]:
    walker = StreetWalk(RING, random.Random(seed))
    return [walker.step(25.0) for _ in range(steps)]


def _metres(a, b) -> float:
    return ground_distance_m(Ping(None, *a, None), Ping(None, *b, None))


def test_every_point_stays_inside_the_cell():
    assert all(inside(RING, lng, lat) for lat, lng in _walk(2000))


def test_steps_are_a_walkers_not_random_jumps():
    points = _walk(500)
    moves = [_metres(a, b) for a, b in zip(points, points[1:], strict=False)]
    # 25 m along the streets: straight on, or around a corner (at least 25 / √2 as the crow flies)
    assert max(moves) <= 25.0 + 0.5
    assert min(moves) >= 25.0 / math.sqrt(2) - 0.5


def test_the_walk_follows_streets_north_south_or_east_west():
    points = _walk(300)
    for (lat0, lng0), (lat1, lng1) in zip(points, points[1:], strict=False):
        # each move runs along one street, or turns at a corner (both change only then)
        turned = abs(lat1 - lat0) > 1e-9 and abs(lng1 - lng0) > 1e-9
        assert not turned or _metres((lat0, lng0), (lat1, lng1)) < 25.0 + 0.5


def test_the_day_covers_most_of_the_cells_streets():
    walker = StreetWalk(RING, random.Random(5))
    for _ in range(400):  # 10 km
        walker.step(25.0)
    streets = {(a, b) for a in walker.nodes for b in walker.nodes
               if abs(a[0] - b[0]) + abs(a[1] - b[1]) == 1 and a < b}  # fmt: skip
    assert len(walker.visits) >= 0.9 * len(streets)


def test_inside_a_ring():
    assert inside(RING, 121.70 + DX / 2, 29.95 + DY / 2)
    assert not inside(RING, 121.70 - DX / 2, 29.95 + DY / 2)
