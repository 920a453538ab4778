"""Failed sign-ins slow the next attempt down; they never lock an account.

Failures are counted per (username, client address): after `free` failures each further
one doubles the wait before that pair may try again (1 s, 2 s, 4 s … up to `max_delay_s`);
a success clears the count, and a pair that fails no more is forgotten after `forget_s`.
Someone guessing a user's password from one address is slowed down; the user, signing in
from another, is not. A wider count per address alone (`address_free` failures across any
usernames) slows down one address trying many names. Only failures are counted: a right
password from a fresh address always gets through. Tables are bounded like the rate
limiter's: the pair touched longest ago makes room.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

MAX_KEYS = 100_000


class LoginThrottle:
    """Exponential delay after failed sign-ins, per (username, address) and per address."""

    def __init__(
        self,
        *,
        free: int = 5,
        address_free: int = 50,
        max_delay_s: float = 900.0,
        forget_s: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ):
        self.free, self.address_free = free, address_free
        self.max_delay_s, self.forget_s = max_delay_s, forget_s
        self._clock = clock
        self._max_keys = max_keys
        self._lock = threading.Lock()
        # key → (failures, time of the last failure)
        self._failures: OrderedDict[tuple, tuple[int, float]] = OrderedDict()

    def wait(self, username: str, address: str) -> float:
        """Seconds before this username may be tried from this address again (0: now)."""
        now = self._clock()
        with self._lock:
            return max(
                self._wait(("user", username.lower(), address), self.free, now),
                self._wait(("address", address), self.address_free, now),
            )

    def failed(self, username: str, address: str) -> None:
        """Counts a failed sign-in."""
        now = self._clock()
        with self._lock:
            for key in (("user", username.lower(), address), ("address", address)):
                count, _ = self._current(key, now)
                self._failures[key] = (count + 1, now)
                self._failures.move_to_end(key)
            while len(self._failures) > self._max_keys:
                self._failures.popitem(last=False)

    def succeeded(self, username: str, address: str) -> None:
        """Clears the pair's failures after a right password."""
        with self._lock:
            self._failures.pop(("user", username.lower(), address), None)

    def _current(self, key: tuple, now: float) -> tuple[int, float]:
        count, last = self._failures.get(key, (0, now))
        return (0, now) if now - last > self.forget_s else (count, last)

    def _wait(self, key: tuple, free: int, now: float) -> float:
        count, last = self._current(key, now)
        if count < free:
            return 0.0
        delay = min(self.max_delay_s, 2.0 ** (count - free))
        return max(0.0, last + delay - now)

    def __len__(self) -> int:
        return len(self._failures)
