"""Per-account rate limits: an in-process token bucket per (bucket name, account).

The buckets live in the memory of one API process: with N processes behind a balancer an
account may get up to N times the configured rate. That is the documented trade-off. A
limiter holds at most `max_keys` buckets: the one used longest ago makes room for a new one,
so keys an attacker makes up cannot grow the memory without bound.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

MAX_KEYS = 100_000


class TokenBucketLimiter:
    """`rate_per_minute` tokens refill per minute up to `burst` (default: a quarter of a
    minute's worth, so a burst is never a whole minute's rate at once); each request takes
    one."""

    def __init__(
        self,
        rate_per_minute: float,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ):
        self.rate = rate_per_minute / 60.0
        self.burst = float(burst if burst is not None else max(1, math.ceil(rate_per_minute / 4)))
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[object, tuple[float, float]] = OrderedDict()
        self._max_keys = max_keys

    def take(self, key: object) -> float:
        """Takes a token for `key`: 0.0 if allowed, else the seconds until one is available."""
        now = self._clock()
        with self._lock:
            tokens, stamp = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - stamp) * self.rate)
            taken = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if taken else tokens, now)
            if len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
            if taken:
                return 0.0
            return (1.0 - tokens) / self.rate if self.rate > 0 else 3600.0

    def __len__(self) -> int:
        return len(self._buckets)
