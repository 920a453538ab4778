"""Patrol paths along a cell's streets: a simulated grid worker walks a lattice of streets laid
over their cell (every `spacing_m` metres, the nodes inside the cell), straight from corner to
corner, turning at corners, preferring streets walked least so the cell's coverage grows
through the day, and never leaving the cell. Pure: every draw comes from the Random given."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

Node = tuple[int, int]
M_PER_DEG = 111_320.0
STEPS = ((1, 0), (-1, 0), (0, 1), (0, -1))


def inside(ring: list[tuple[float, float]], lng: float, lat: float) -> bool:
    """Whether (lng, lat) lies inside the closed ring (even-odd rule)."""
    found = False
    j = len(ring) - 1
    for i, (xi, yi) in enumerate(ring):
        xj, yj = ring[j]
        if (yi > lat) != (yj > lat) and lng < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            found = not found
        j = i
    return found


@dataclass
class StreetWalk:
    """A worker's walk over the street lattice of one cell (`ring`: its outer ring, lng/lat)."""

    ring: list[tuple[float, float]]
    rng: random.Random
    spacing_m: float = 40.0
    nodes: set[Node] = field(init=False)
    visits: dict[tuple[Node, Node], int] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        xs, ys = [p[0] for p in self.ring], [p[1] for p in self.ring]
        self.west, self.south = min(xs), min(ys)
        self.dx = self.spacing_m / (M_PER_DEG * math.cos(math.radians(self.south)))
        self.dy = self.spacing_m / M_PER_DEG
        cols = max(1, int((max(xs) - self.west) / self.dx))
        rows = max(1, int((max(ys) - self.south) / self.dy))
        self.nodes = {(i, j) for i in range(cols) for j in range(rows)
                      if inside(self.ring, *self.place((i, j)))}  # fmt: skip
        if not self.nodes:  # a sliver of a cell: one corner at its first vertex
            self.nodes = {(0, 0)}
        self.at = self.rng.choice(sorted(self.nodes))
        self.to = self._next(self.at, None)
        self.done_m = 0.0

    def place(self, node: Node) -> tuple[float, float]:
        """(lng, lat) of a street corner."""
        return self.west + (node[0] + 0.5) * self.dx, self.south + (node[1] + 0.5) * self.dy

    def _next(self, node: Node, came_from: Node | None) -> Node:
        near = [(node[0] + a, node[1] + b) for a, b in STEPS]
        near = [n for n in near if n in self.nodes]
        if not near:
            return node
        ahead = [n for n in near if n != came_from] or near
        least = min(self.visits.get(_street(node, n), 0) for n in ahead)
        choice = self.rng.choice(
            [n for n in ahead if self.visits.get(_street(node, n), 0) == least]
        )
        self.visits[_street(node, choice)] = self.visits.get(_street(node, choice), 0) + 1
        return choice

    def step(self, metres: float) -> tuple[float, float]:
        """Walks `metres` on; returns the new (lat, lng)."""
        self.done_m += metres
        while self.to != self.at and self.done_m >= self.spacing_m:
            self.done_m -= self.spacing_m
            self.at, self.to = self.to, self._next(self.to, self.at)
        if self.to == self.at:
            self.done_m = 0.0
        (x0, y0), (x1, y1) = self.place(self.at), self.place(self.to)
        f = min(1.0, self.done_m / self.spacing_m)
        return y0 + f * (y1 - y0), x0 + f * (x1 - x0)


def _street(a: Node, b: Node) -> tuple[Node, Node]:
    return (a, b) if a <= b else (b, a)
