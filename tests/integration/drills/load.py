"""The steady load of a drill: phones filing reports through the HTTP API at a fixed rate.

A phone makes the report id once and, like the real client, retries the very same body until
the API accepts it (201, or 200 for a retry that had in fact been stored): after a connection
error, a 5xx (503 while the database is away) or a 429. Every answer that is not an
acceptance counts as an error seen by a client; every attempt is kept with its start, its
duration and its status, so a drill can tell how fast the API answered while something was
down.
"""

from __future__ import annotations

import json
import math
import queue
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import requests

RETRY = frozenset({429, 500, 502, 503, 504})
ACCEPTED = frozenset({200, 201, 202})  # 202: a batch of patrol pings taken
ATTEMPT_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Attempt:
    at: float  # time.monotonic() when sent
    duration_s: float
    status: int  # HTTP status, or -1 for a connection error / timeout


@dataclass
class Phone:
    """A report waiting to be accepted, and the token of the worker who files it."""

    body: dict
    token: str
    attempts: int = 0


@dataclass
class FleetStats:
    accepted: dict[str, float] = field(default_factory=dict)  # report id → when accepted
    refused: dict[str, int] = field(default_factory=dict)  # report id → 4xx status
    attempts: list[Attempt] = field(default_factory=list)
    generated: int = 0

    @property
    def errors(self) -> int:
        return sum(1 for a in self.attempts if a.status not in ACCEPTED)


class ReportPlan:
    """Report bodies, each category at cell points farther apart than its duplicate radius
    (+10 m), so no report of the load is merged into another as a duplicate."""

    def __init__(self, cells: list[tuple[str, float, float]], categories: list[tuple[str, float]],
                 seed: int = 11) -> None:  # fmt: skip
        rng = random.Random(seed)
        self._pairs = [(code, radius, cell) for code, radius in categories for cell in cells]
        rng.shuffle(self._pairs)
        self._used: dict[tuple[str, int, int], list[tuple[float, float]]] = {}
        self._next = 0
        # Metres east per degree of longitude at one latitude for every point (scaled at each
        # point's own, two points 150 m apart north-south came out ~160 m farther apart).
        self._m_per_deg_lng = 111_320 * math.cos(math.radians(cells[0][1])) if cells else 0.0

    def _free(self, category: str, radius: float, lat: float, lng: float) -> bool:
        x, y = lng * self._m_per_deg_lng, lat * 110_540
        size = max(400.0, radius + 10)  # the neighbouring squares hold every point in reach
        kx, ky = int(x // size), int(y // size)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for ox, oy in self._used.get((category, kx + dx, ky + dy), ()):
                    if math.hypot(x - ox, y - oy) <= radius + 10:
                        return False
        self._used.setdefault((category, kx, ky), []).append((x, y))
        return True

    def next(self) -> tuple[dict, str]:
        """A new report body and the code of the cell it is in."""
        while self._next < len(self._pairs):
            category, radius, (cell, lat, lng) = self._pairs[self._next]
            self._next += 1
            if self._free(category, radius, lat, lng):
                body = {
                    "id": str(uuid.uuid4()),
                    "category": category,
                    "description": f"drill report {self._next}",
                    "location": {"lat": lat, "lng": lng, "crs": "wgs84", "accuracy_m": 5.0},
                    "occurred_at": (datetime.now(UTC) - timedelta(seconds=30)).isoformat(),
                }
                return body, cell
        raise RuntimeError("the plan ran out of places: ask for fewer reports")


class Fleet:
    """Files `rate` reports a second through `base_url` from `threads` phones until stopped;
    `token_for(cell)` is the access token of a worker of that cell. `plan.next()` gives a
    body and its cell; `path` is where it goes, `ident` the body's field that names it (a
    batch of patrol pings: /api/v1/patrol/pings, batch_id)."""

    def __init__(self, base_urls: list[str], plan, token_for, rate: float, threads: int = 16,
                 path: str = "/api/v1/reports", ident: str = "id") -> None:  # fmt: skip
        self.base_urls = base_urls  # phones spread over these, as a load balancer would
        self.plan, self.path, self.ident = plan, path, ident
        self.token_for = token_for
        self.rate = rate
        self.stats = FleetStats()
        self._queue: queue.Queue[Phone | None] = queue.Queue()
        self._stop_generating = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pending = 0
        self._threads = [
            threading.Thread(target=self._phone, args=(base_urls[i % len(base_urls)],), daemon=True)
            for i in range(threads)
        ]
        self._generator = threading.Thread(target=self._generate, daemon=True)

    def start(self) -> Fleet:
        for thread in self._threads:
            thread.start()
        self._generator.start()
        return self

    def _generate(self) -> None:
        start = time.monotonic()
        n = 0
        while not self._stop_generating.is_set():
            due = start + n / self.rate
            wait = due - time.monotonic()
            if wait > 0 and self._stop_generating.wait(wait):
                break
            body, cell = self.plan.next()
            with self._lock:
                self._pending += 1
                self.stats.generated += 1
            self._queue.put(Phone(body, self.token_for(cell)))
            n += 1

    def _phone(self, base_url: str) -> None:
        session = requests.Session()
        try:
            while not self._stop.is_set():
                try:
                    phone = self._queue.get(timeout=0.2)
                except queue.Empty:
                    continue
                if phone is None:
                    break
                self._send(session, base_url, phone)
        finally:
            session.close()

    def _send(self, session: requests.Session, base_url: str, phone: Phone) -> None:
        payload = json.dumps(phone.body)
        headers = {"Authorization": f"Bearer {phone.token}", "Content-Type": "application/json"}
        while not self._stop.is_set():
            phone.attempts += 1
            sent = time.monotonic()
            try:
                resp = session.post(f"{base_url}{self.path}", data=payload,
                                    headers=headers, timeout=ATTEMPT_TIMEOUT_S)  # fmt: skip
                status = resp.status_code
            except requests.RequestException:
                status = -1
                session.close()
            attempt = Attempt(sent, time.monotonic() - sent, status)
            with self._lock:
                self.stats.attempts.append(attempt)
                if status in ACCEPTED:
                    self.stats.accepted[phone.body[self.ident]] = time.monotonic()
                elif status not in RETRY and status != -1:
                    self.stats.refused[phone.body[self.ident]] = status
                if status in ACCEPTED or (status not in RETRY and status != -1):
                    self._pending -= 1
                    return
            time.sleep(min(2.0, 0.25 * 2 ** min(phone.attempts - 1, 3)))
        with self._lock:
            self._pending -= 1

    def stop(self, settle_s: float = 120.0, idle_s: float = 60.0) -> FleetStats:
        """Stops making reports and lets the phones send (and retry) what they hold — while
        that moves, for up to `settle_s` — then stops them."""
        self._stop_generating.set()
        self._generator.join()
        deadline = time.monotonic() + settle_s
        last, moved = self.pending, time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - moved < idle_s:
            pending = self.pending
            if pending == 0:
                break
            if pending < last:
                last, moved = pending, time.monotonic()
            time.sleep(0.1)
        self._stop.set()
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=ATTEMPT_TIMEOUT_S + 5)
        return self.stats

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending
