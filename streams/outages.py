"""What counts as a dependency being down (not the event being bad), and how long a process
waits before trying it again: the consume loop, the relay and topic set-up use both."""

from __future__ import annotations

from dataclasses import dataclass

from kafka.errors import KafkaError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import InterfaceError as SAInterfaceError


def is_outage(exc: BaseException) -> bool:
    """True for failures that mean a dependency is down, not that the event is bad."""
    if isinstance(exc, OperationalError | SAInterfaceError | KafkaError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


@dataclass
class Backoff:
    """Capped exponential backoff: 0.2 s, 0.4 s, … up to `cap_s`."""

    first_s: float = 0.2
    cap_s: float = 10.0
    attempt: int = 0

    def next_delay(self) -> float:
        delay = min(self.cap_s, self.first_s * (2**self.attempt))
        self.attempt += 1
        return delay

    def reset(self) -> None:
        self.attempt = 0
