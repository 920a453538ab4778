"""A uniform bucket grid over cell envelopes, for locating millions of points at once.

`CellIndex.locate_many` uses it to find candidate (point, cell) pairs from plain coordinate
arrays, without building a geometry per point: each point falls in exactly one bucket, and
each bucket lists the cells whose envelope touches it. Envelope tests are exact comparisons,
so every cell whose envelope contains a point is among that point's candidates.
"""

from __future__ import annotations

import math

import numpy as np

MAX_BUCKETS = 4_000_000


class CellBuckets:
    """Buckets of `size` degrees over envelopes given as an (n, 4) array of bounds."""

    def __init__(self, bounds: np.ndarray):
        self.bounds = np.asarray(bounds, dtype=float).reshape(-1, 4)
        n = len(self.bounds)
        if n == 0:
            self.cells = np.zeros(0, dtype=np.int64)
            self.offsets = np.zeros(2, dtype=np.int64)
            self.x0 = self.y0 = 0.0
            self.size, self.nx, self.ny = 1.0, 1, 1
            return
        self.x0, self.y0 = self.bounds[:, 0].min(), self.bounds[:, 1].min()
        x1, y1 = self.bounds[:, 2].max(), self.bounds[:, 3].max()
        widths = np.maximum(
            self.bounds[:, 2] - self.bounds[:, 0], self.bounds[:, 3] - self.bounds[:, 1]
        )
        size = float(np.median(widths)) or 1e-6
        while (
            math.ceil((x1 - self.x0) / size + 1) * math.ceil((y1 - self.y0) / size + 1)
            > MAX_BUCKETS
        ):
            size *= 2
        self.size = size
        self.nx = int((x1 - self.x0) // size) + 1
        self.ny = int((y1 - self.y0) // size) + 1
        ix0, iy0 = self._ix(self.bounds[:, 0]), self._iy(self.bounds[:, 1])
        ix1, iy1 = self._ix(self.bounds[:, 2]), self._iy(self.bounds[:, 3])
        w, h = ix1 - ix0 + 1, iy1 - iy0 + 1
        per_cell = w * h
        cell = np.repeat(np.arange(n), per_cell)
        k = np.arange(per_cell.sum()) - np.repeat(np.cumsum(per_cell) - per_cell, per_cell)
        bx = ix0[cell] + k % w[cell]
        by = iy0[cell] + k // w[cell]
        bucket = by * self.nx + bx
        order = np.argsort(bucket, kind="stable")
        self.cells = cell[order]
        self.offsets = np.searchsorted(bucket[order], np.arange(self.nx * self.ny + 1))

    def _ix(self, x):
        return np.floor((x - self.x0) / self.size).astype(np.int64)

    def _iy(self, y):
        return np.floor((y - self.y0) / self.size).astype(np.int64)

    def pairs(self, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(point, cell) index pairs where the cell's envelope contains the point; sorted by
        point, and by cell within a point."""
        ix, iy = self._ix(xs), self._iy(ys)
        ok = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
        points = np.flatnonzero(ok)
        bucket = iy[points] * self.nx + ix[points]
        start, stop = self.offsets[bucket], self.offsets[bucket + 1]
        counts = stop - start
        point = np.repeat(points, counts)
        k = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        cell = self.cells[np.repeat(start, counts) + k]
        b = self.bounds[cell]
        x, y = xs[point], ys[point]
        inside = (b[:, 0] <= x) & (x <= b[:, 2]) & (b[:, 1] <= y) & (y <= b[:, 3])
        return point[inside], cell[inside]
