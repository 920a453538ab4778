"""Apps for the integration tests, built from the run's config."""

from __future__ import annotations

from collections.abc import Iterator


def media_app(config, tmp_path_factory, **changes) -> Iterator[object]:
    """An app whose photos and ledgers go to fresh temporary directories, with `changes`
    applied to the config; its locator and engine are closed when the generator is."""
    from services.app import create_app

    media = str(tmp_path_factory.mktemp("media"))
    changes.setdefault("ledger_dir", str(tmp_path_factory.mktemp("ledgers")))
    app = create_app(config.with_(media_dir=media, **changes))
    app.config["TESTING"] = True
    yield app
    gf = app.extensions["gridflow"]
    gf.locator.close()
    gf.engine.dispose()
