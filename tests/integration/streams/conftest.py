"""Fixtures of the stream processor tests: topics, a topic reader, threads, a private broker."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from services.config import Config
from streams.topics import ensure_topics
from tests.integration.streams.private_broker import PrivateBroker
from tests.integration.streams.stream_helpers import read_topic


@pytest.fixture(scope="session")
def topics(config: Config) -> Config:
    """Makes sure every gridflow topic of this run exists; returns the config."""
    ensure_topics(config)
    return config


@pytest.fixture()
def topic_reader(topics: Config) -> Callable[..., list]:
    """`reader(logical, config=None)` → every record on that topic of this run."""

    def _read(logical: str, config: Config | None = None, **kw):
        return read_topic(config or topics, logical, **kw)

    return _read


@pytest.fixture()
def background() -> Iterator[Callable[[Callable[[threading.Event], object]], threading.Event]]:
    """Runs `target(stop)` in a thread; every thread is stopped and joined after the test."""
    started: list[tuple[threading.Thread, threading.Event]] = []

    def _start(target: Callable[[threading.Event], object]) -> threading.Event:
        stop = threading.Event()
        thread = threading.Thread(target=target, args=(stop,), daemon=True)
        thread.start()
        started.append((thread, stop))
        return stop

    yield _start
    for _, stop in started:
        stop.set()
    for thread, _ in started:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a background processor did not stop"


@pytest.fixture()
def private_broker(tmp_path: Path) -> Iterator[PrivateBroker]:
    """A started private Kafka broker (its own ports and data dir); stopped after the test."""
    broker = PrivateBroker(tmp_path / "kafka")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
