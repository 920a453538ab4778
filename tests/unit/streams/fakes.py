"""A Kafka producer's stand-in for the consume loop's unit tests: it keeps what the loop
publishes (dead letters) instead of sending it."""

from __future__ import annotations


class Future:
    def get(self, timeout=None):
        return None


class Producer:
    """Collects every `send` as (topic, key, value)."""

    def __init__(self):
        self.sent = []

    @property
    def values(self):
        return [value for _, _, value in self.sent]

    def send(self, topic, key=None, value=None):
        self.sent.append((topic, key, value))
        return Future()

    def flush(self, timeout=None):
        pass
