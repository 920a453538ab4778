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


@pytest.fixture(scope="session")
def stream_app(config, tmp_path_factory):
    """The HTTP app reports are posted through (photos in a temporary media directory)."""
    from services.app import create_app

    # Drills post hundreds of reports from one account: no rate limit here.
    media = str(tmp_path_factory.mktemp("media"))
    app = create_app(config.with_(media_dir=media, rate_limit_per_minute=1_000_000))
    app.config["TESTING"] = True
    yield app
    gf = app.extensions["gridflow"]
    gf.locator.close()
    gf.engine.dispose()


@pytest.fixture()
def api(stream_app):
    return stream_app.test_client()


@pytest.fixture(scope="session")
def demo_rules(engine):
    """The demo grid, departments and routing rules (loaded once per run)."""
    from geo.demo import load_demo
    from services.routing.rulefile import load_demo_rules

    load_demo(engine)
    return load_demo_rules(engine, actor="test")


@pytest.fixture(scope="session")
def worker_headers(stream_app, engine, demo_rules):
    """Authorization headers of a grid worker bound to every cell of the demo district."""
    from sqlalchemy import text

    from tests.integration.services.accounts import signed_in

    with engine.connect() as conn:
        codes = tuple(
            r[0].strip()
            for r in conn.execute(
                text(
                    "SELECT c.code FROM grid_cell c JOIN grid_version v ON v.id = c.version_id "
                    "AND v.valid_to IS NULL WHERE c.code LIKE '330211%'"
                )
            )
        )
    return signed_in(stream_app.test_client(), engine, "grid_worker", cells=codes)[1]
