"""`gridflow places`: the gazetteer's commands."""

from __future__ import annotations

from pathlib import Path

import click

from services.config import Config


@click.group()
def places() -> None:
    """The gazetteer: places searched by name and pinyin initials."""


@places.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def places_import(path: Path) -> None:
    """Import the roads, POIs and compounds of a GeoJSON or CSV file (replacing those of an
    earlier file of the same name) and copy the grid's jurisdictions and cells."""
    from services.places.gazetteer import PlacesFileError, import_places
    from services.store.db import make_engine

    engine = make_engine(Config.from_env().database_url)
    try:
        counts = import_places(engine, path)
    except PlacesFileError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    click.echo(f"{counts['imported']} places from {path.name}, {counts['grid']} from the grid")
