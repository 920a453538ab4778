"""The latest position of each grid worker, as seen by this process since it started.

Every API process reads every patrol ping (see `feed.py`), so each holds the same recent
positions; a new client gets the fresh ones in its snapshot. Positions older than `max_age_s`
are left out: a worker who stopped pinging drops off the map.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class WorkerPosition:
    """Where a worker was at `t` (ISO-8601, as the phone sent it), WGS84."""

    worker_id: int
    lat: float
    lng: float
    t: str
    cell_codes: tuple[str, ...] = ()

    def as_message(self) -> dict[str, object]:
        data = asdict(self)
        data["cell_codes"] = list(self.cell_codes)
        return data


class WorkerPositions:
    """A thread-safe map worker id → latest position, with its arrival time."""

    def __init__(self, max_age_s: float = 900.0) -> None:
        self.max_age_s = max_age_s
        self._lock = threading.Lock()
        self._latest: dict[int, tuple[float, WorkerPosition]] = {}

    def update(self, position: WorkerPosition) -> bool:
        """Records a position; False if an earlier-stamped ping arrived late (kept the newer)."""
        with self._lock:
            known = self._latest.get(position.worker_id)
            if known is not None and known[1].t > position.t:
                return False
            self._latest[position.worker_id] = (time.monotonic(), position)
            return True

    def fresh(self) -> list[WorkerPosition]:
        """Positions received within `max_age_s`."""
        horizon = time.monotonic() - self.max_age_s
        with self._lock:
            stale = [w for w, (seen, _) in self._latest.items() if seen < horizon]
            for worker in stale:
                del self._latest[worker]
            return [p for _, p in self._latest.values()]
