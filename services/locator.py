"""The Locator: report coordinates (any supported datum) → the grid cell they fall in.

It answers from an in-process STRtree over the current grid versions (geo.locate.CellIndex),
never from the database on the hot path. PostGIS stays the source of truth: the index is loaded
on first use and reloaded when a grid import commits, which the Locator hears on PostgreSQL's
`gridflow_grid` NOTIFY channel (a dedicated LISTEN connection polled without blocking before
each answer): at once for imports committed by this process, a moment later for others. If
that connection drops, it is re-opened (at most every few seconds) and the index is reloaded,
since notifications may have been missed meanwhile.
"""

from __future__ import annotations

import logging
import math
import threading

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from geo import datum
from geo.locate import CellIndex, Placement
from geo.store import load_current_cells, local_writes
from services.store.grid_watch import GridWatch

log = logging.getLogger(__name__)

MAX_ACCURACY_SNAP_M = 100.0


class InvalidAccuracy(ValueError):
    """A GPS accuracy that is not a finite, non-negative number of metres."""

    field = "accuracy"


class GridUnavailable(RuntimeError):
    """The grid could not be loaded from the database and no earlier copy is in memory."""


class Locator:
    """Places report coordinates on the current grid; see the module docstring."""

    def __init__(self, engine: Engine, snap_distance_m: float = 30.0):
        self.engine = engine
        self.snap_distance_m = snap_distance_m
        self._index: CellIndex | None = None
        self._seen_writes = -1
        self._load_lock = threading.RLock()
        self._watch = GridWatch(engine)

    def index(self) -> CellIndex:
        """The current index, (re)loaded first when a new grid version has been committed."""
        changed = self._watch.changed()
        if self._index is None or changed or self._seen_writes != local_writes():
            try:
                self._reload_once(self._index, changed)
            except DBAPIError as exc:
                if self._index is None:
                    raise GridUnavailable(f"cannot load the grid: {exc.orig}") from exc
                log.warning("grid reload failed; keeping the loaded grid: %s", exc.orig)
        assert self._index is not None
        return self._index

    def _reload_once(self, seen: CellIndex | None, changed: bool) -> None:
        """Reloads unless another caller did while this one waited for the lock: requests
        that all found the index missing (a process's first burst) load it once, not once each
        (a load costs most of a second of CPU, during which a cooperative process serves no one)."""
        with self._load_lock:
            if changed or self._index is seen or self._seen_writes != local_writes():
                self.reload()

    def reload(self) -> CellIndex:
        """Loads the current grid versions from PostGIS into a fresh index."""
        with self._load_lock:  # reentrant: _reload_once holds it
            self._seen_writes = local_writes()
            with self.engine.connect() as conn:
                rows = load_current_cells(conn)
            self._index = CellIndex.from_rows(rows, self.snap_distance_m)
            log.info("grid index loaded: %d cells (token %d)", len(self._index), rows.token)
            return self._index

    def snap_for(self, accuracy_m: float | None) -> float:
        """Snap distance for a fix of the given GPS accuracy: the larger of the configured
        distance and the accuracy, the latter capped at MAX_ACCURACY_SNAP_M."""
        if accuracy_m is None:
            return self.snap_distance_m
        try:
            accuracy = float(accuracy_m)
        except (TypeError, ValueError):
            raise InvalidAccuracy(f"accuracy must be a number of metres: {accuracy_m!r}") from None
        if not math.isfinite(accuracy) or accuracy < 0:
            raise InvalidAccuracy(f"accuracy must be a finite number ≥ 0: {accuracy_m!r}")
        return max(self.snap_distance_m, min(accuracy, MAX_ACCURACY_SNAP_M))

    def locate(
        self, lat: float, lng: float, crs: str = "wgs84", accuracy_m: float | None = None
    ) -> Placement:
        """Where a reported point falls: `inside` a cell, `snapped` to the nearest one within
        the snap distance, or `outside` (no cell; the report still goes on).

        Raises datum.UnknownDatum, datum.InvalidCoordinate (with `.field`) or InvalidAccuracy
        for bad input, GridUnavailable when the grid was never loaded and the database does not
        answer. With no grid in the database every point is `outside`.
        """
        crs = datum.normalize_crs(crs)
        lat, lng = datum.check_coordinate(lat, lng)
        snap = self.snap_for(accuracy_m)
        lat, lng = datum.to_wgs84(lat, lng, crs)
        return self.index().locate(lat, lng, snap)

    def names(self, placement: Placement) -> dict[str, str | None]:
        """Names of the placement's cell, community, street and district (None where unknown)."""
        index = self._index
        if index is None or placement.cell_code is None:
            return {"cell": None, "community": None, "street": None, "district": None}
        hit = index.positions.get(placement.cell_code)
        cell_name = None if hit is None else index.names[hit]
        j = index.jurisdiction_names
        return {
            "cell": cell_name,
            "community": j.get(placement.community_code),
            "street": j.get(placement.street_code),
            "district": j.get(placement.district_code),
        }

    def close(self) -> None:
        """Stops listening for grid changes."""
        self._watch.close()
