"""A database and topic prefix of their own for the live tests.

The live tests file reports, write cases and run simulated workers; in the run's shared
database those would show up in other tests' listings and attract other tests' reports as
duplicates. So they work in a database of their own (created next to the run's, migrated to
head, dropped afterwards) under a topic prefix of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.config import Config


@contextmanager
def own_stack(config: Config, name: str) -> Iterator[Config]:
    """`config` with a fresh database `<run's database>_<name>` (migrated, topics created)
    and the topic prefix `<run's prefix><name>.`; the database is dropped on exit."""
    from services.store.migrate import upgrade
    from streams.topics import ensure_topics

    base = make_url(config.database_url)
    database = f"{base.database}_{name}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{database}"'))
        url = base.set(database=database).render_as_string(hide_password=False)
        upgrade(url)
        own = config.with_(database_url=url, topic_prefix=f"{config.topic_prefix}{name}.")
        ensure_topics(own)
        yield own
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def own_engine(config: Config) -> Iterator[object]:
    """An engine on `config`'s database, disposed on exit."""
    from services.store.db import make_engine

    engine = make_engine(config.database_url)
    try:
        yield engine
    finally:
        engine.dispose()
