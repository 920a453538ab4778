"""`gridflow grid …`: import, export, generate and load the demo grid.

The database comes from `--database-url` or the GRIDFLOW_DATABASE_URL environment variable.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

import click
import shapely
from sqlalchemy import create_engine, text

from geo import datum
from geo.generate import SHAPES, generate_grid
from geo.geojson_io import FeatureError, feature_collection, parse_geometry, read_text

# The local stack as its processes' login role, a member of gridflow_app.
DEFAULT_URL = "postgresql+psycopg://gridflow_api@127.0.0.1:55432/gridflow"

database_option = click.option(
    "--database-url",
    envvar="GRIDFLOW_DATABASE_URL",
    default=DEFAULT_URL,
    show_default=False,
    help="SQLAlchemy URL of the PostGIS database (default: $GRIDFLOW_DATABASE_URL).",
)
crs_option = click.option(
    "--crs",
    type=click.Choice(datum.SUPPORTED_CRS),
    default="wgs84",
    show_default=True,
    help="Datum of the file's coordinates (stored as WGS84).",
)


@contextmanager
def _engine(url: str):
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@click.group()
def grid() -> None:
    """Grids: import, export, generate, load the demo grid."""


@grid.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@crs_option
@click.option("--repair", is_flag=True, help="Repair invalid geometries instead of rejecting.")
@click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
@click.option("--strict", is_flag=True, help="Refuse the import on warnings (gaps) too.")
@click.option("--overlap-tolerance", default=1.0, show_default=True, help="m² of overlap allowed.")
@click.option("--gap-tolerance", default=1.0, show_default=True, help="m² of gap not reported.")
@click.option("--note", default=None, help="Note stored with the new grid version.")
@click.option(
    "--report-json",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the validation report as JSON here.",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a TTY).")
@database_option
def import_(
    file: Path,
    crs,
    repair,
    dry_run,
    strict,
    overlap_tolerance,
    gap_tolerance,
    note,
    report_json,
    progress,
    database_url,
) -> None:
    """Import FILE (GeoJSON FeatureCollection of jurisdictions and cells), all or nothing."""
    from geo.importer import import_grid

    try:
        content = read_text(file)
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise click.ClickException(f"cannot read {file}: {exc}") from exc

    def show(report) -> None:
        click.echo(report.format_text())
        if report_json:
            report_json.write_text(report.to_json(), encoding="utf-8")

    with _engine(database_url) as engine:
        outcome = import_grid(
            engine,
            content,
            crs=crs,
            repair=repair,
            source=f"import:{file.name}",
            note=note,
            overlap_tolerance_m2=overlap_tolerance,
            gap_tolerance_m2=gap_tolerance,
            strict=strict,
            dry_run=dry_run,
            progress=progress,
            on_report=show,
        )
    if outcome.written is None:
        if dry_run and outcome.ok:
            click.echo("dry run: nothing written")
            return
        raise click.ClickException("import refused: nothing was written")
    for district, version in outcome.written.created.items():
        click.echo(f"district {district}: new grid version {version}")
    for district, version in outcome.written.unchanged.items():
        click.echo(f"district {district}: unchanged, version {version} stays current")


@grid.command("export")
@click.option("--district", "district_code", default=None, help="District code (default: all).")
@click.option(
    "--version", "version_id", type=int, default=None, help="Version id (default: current)."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Output file (default: standard output).",
)
@database_option
def export(district_code, version_id, output, database_url) -> None:
    """Export grids as a GeoJSON FeatureCollection (the import format)."""
    from geo.store import current_versions, read_version

    features = []
    with _engine(database_url) as engine, engine.connect() as conn:
        districts = [district_code] if district_code else sorted(current_versions(conn))
        for code in districts:
            try:
                version, g = read_version(conn, code, version_id)
            except LookupError as exc:
                raise click.ClickException(str(exc)) from exc
            fc = feature_collection(g.jurisdictions.values(), g.cells, version=version)
            features.extend(fc["features"])
    _write_json({"type": "FeatureCollection", "features": features}, output)


@grid.command("generate")
@click.option(
    "--boundary",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="GeoJSON with the district boundary (first feature).",
)
@click.option(
    "--boundary-crs",
    type=click.Choice(datum.SUPPORTED_CRS),
    default="wgs84",
    show_default=True,
    help="Datum of the boundary file.",
)
@click.option(
    "--district",
    "district_code",
    default=None,
    help="6-digit district code (default: the boundary feature's `code`). "
    "Without --boundary, the district's boundary is read from the database.",
)
@click.option("--name", default=None, help="District name (default: the feature's `name`).")
@click.option("--shape", type=click.Choice(SHAPES), default="square", show_default=True)
@click.option(
    "--size",
    "size_m",
    type=click.FloatRange(min=10),
    default=250.0,
    show_default=True,
    help="Cell size in metres (hexagons: same area as the square).",
)
@click.option(
    "--community-cells",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="A community is a block of N × N cell sizes.",
)
@click.option(
    "--street-communities",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="A street is a block of N × N communities.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the grid as GeoJSON here.",
)
@click.option("--load", is_flag=True, help="Import the generated grid into the database.")
@database_option
def generate(
    boundary,
    boundary_crs,
    district_code,
    name,
    shape,
    size_m,
    community_cells,
    street_communities,
    output,
    load,
    database_url,
) -> None:
    """Cut a district boundary into square or hexagonal cells with 15-digit codes."""
    code, label, geom = _boundary(boundary, boundary_crs, district_code, database_url)
    try:
        g = generate_grid(
            geom,
            district_code or code,
            name or label or (district_code or code),
            shape=shape,
            size_m=size_m,
            community_cells=community_cells,
            street_communities=street_communities,
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    streets = sum(1 for j in g.jurisdictions.values() if j.level == "street")
    communities = sum(1 for j in g.jurisdictions.values() if j.level == "community")
    click.echo(f"{len(g.cells)} cells, {communities} communities, {streets} streets", err=True)
    if output or not load:
        _write_json(feature_collection(g.jurisdictions.values(), g.cells), output)
    if load:
        from geo.importer import lock_grids, write_validated

        with _engine(database_url) as engine, engine.begin() as conn:
            lock_grids(conn)
            result = write_validated(conn, g, source=f"generate:{shape}:{size_m:g}m", note=None)
        for district, version in result.created.items():
            click.echo(f"district {district}: new grid version {version}", err=True)
        for district, version in result.unchanged.items():
            click.echo(f"district {district}: unchanged (version {version})", err=True)


@grid.command("load-demo")
@database_option
def load_demo_command(database_url) -> None:
    """Load the demo district's grid, unless it already has one."""
    from geo.demo import load_demo

    with _engine(database_url) as engine:
        result = load_demo(engine)
    if result is None:
        click.echo("the demo district already has a grid; nothing loaded")
    else:
        for district, version in result.created.items():
            click.echo(f"demo grid loaded: district {district}, version {version}")


def _boundary(path, crs, district_code, database_url):
    """(code, name, WGS84 geometry) of the district to cut, from a file or the database."""
    if path is not None:
        try:
            doc = json.loads(read_text(path))
            feature = doc["features"][0] if doc.get("type") == "FeatureCollection" else doc
            props = feature.get("properties") or {}
            geom, _ = parse_geometry(feature.get("geometry"), crs, repair=True)
        except (ValueError, KeyError, IndexError, TypeError, AttributeError, FeatureError) as exc:
            raise click.ClickException(f"{path}: not a GeoJSON boundary: {exc}") from exc
        return str(props.get("code", "")), str(props.get("name", "")), geom
    if not district_code:
        raise click.UsageError("give --boundary FILE or --district CODE")
    with _engine(database_url) as engine, engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT name, ST_AsBinary(geom) FROM jurisdiction "
                "WHERE code = :c AND geom IS NOT NULL"
            ),
            {"c": district_code},
        ).first()
    if row is None:
        raise click.ClickException(f"district {district_code} has no boundary in the database")
    return district_code, row[0], shapely.from_wkb(bytes(row[1]))


def _write_json(doc: dict, output: Path | None) -> None:
    data = json.dumps(doc, ensure_ascii=False)
    if output is None:
        sys.stdout.write(data + "\n")
    else:
        output.write_text(data, encoding="utf-8")
