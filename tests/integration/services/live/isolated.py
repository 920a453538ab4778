"""A database and topic prefix of their own for the live tests.

The live tests file reports, write cases and run simulated workers; in the run's shared
database those would show up in other tests' listings and attract other tests' reports as
duplicates. So they work in a database of their own (created next to the run's, migrated to
head, dropped afterwards) under a topic prefix of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url

from services.config import Config


@contextmanager
def own_stack(config: Config, name: str) -> Iterator[Config]:
    """`config` with a fresh database `<run's database>_<name>` (migrated, topics created)
    and the topic prefix `<run's prefix><name>.`; the database is dropped on exit."""
    from streams.topics import ensure_topics
    from tests.databases import fresh_database

    database = f"{make_url(config.database_url).database}_{name}"
    with fresh_database(database, config.database_url) as url:
        own = config.with_(database_url=url, topic_prefix=f"{config.topic_prefix}{name}.")
        ensure_topics(own)
        yield own


@contextmanager
def own_engine(config: Config) -> Iterator[object]:
    """An engine on `config`'s database, disposed on exit."""
    from services.store.db import make_engine

    engine = make_engine(config.database_url)
    try:
        yield engine
    finally:
        engine.dispose()
