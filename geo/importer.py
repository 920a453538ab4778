"""Importing a grid file: parse, validate against the database, then write — all or nothing.

The validation report is complete before anything is written and is handed to `on_report`
(the CLI prints it there). Nothing is written when it has errors (or, with `strict`, warnings),
or when `dry_run` is set; otherwise every write happens in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from geo.geojson_io import parse_feature_collection
from geo.grid import Grid
from geo.store import (
    WriteResult,
    current_versions,
    jurisdiction_codes,
    other_districts_cells,
    write_grid,
)
from geo.validate import ValidationReport, validate_grid

_LOCK_KEY = 0x67726964  # 'grid': one grid import at a time


@dataclass
class ImportOutcome:
    """The report, and what was written (None when nothing was)."""

    report: ValidationReport
    written: WriteResult | None

    @property
    def ok(self) -> bool:
        return self.report.ok


def lock_grids(conn: Connection) -> None:
    """Serialises grid writers until the end of the caller's transaction."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})


def import_grid(
    engine: Engine,
    text_: str,
    *,
    crs: str = "wgs84",
    repair: bool = False,
    source: str = "import",
    note: str | None = None,
    overlap_tolerance_m2: float = 1.0,
    gap_tolerance_m2: float = 1.0,
    strict: bool = False,
    dry_run: bool = False,
    progress: bool | None = None,
    on_report: Callable[[ValidationReport], None] | None = None,
    on_begin: Callable[[Connection], None] | None = None,
) -> ImportOutcome:
    """Imports a GeoJSON FeatureCollection of jurisdictions and cells (see geo/README.md).
    `on_begin` is called with the transaction's connection before anything in it (a caller
    names the actor its audit trail records there)."""
    grid, report = parse_feature_collection(text_, crs=crs, repair=repair, progress=progress)
    if not report.ok:
        if on_report:
            on_report(report)
        return ImportOutcome(report, None)
    with engine.begin() as conn:
        if on_begin:
            on_begin(conn)
        lock_grids(conn)
        validate_grid(
            grid,
            report,
            jurisdiction_codes(conn),
            overlap_tolerance_m2,
            gap_tolerance_m2,
            other_districts_cells(conn, grid),
        )
        if on_report:
            on_report(report)
        blocked = not report.ok or (strict and report.warnings)
        if blocked or dry_run:
            return ImportOutcome(report, None)
        return ImportOutcome(report, write_validated(conn, grid, source, note))


def write_validated(conn: Connection, grid: Grid, source: str, note: str | None) -> WriteResult:
    """Writes a grid that passed validation (boundaries filled in from cells where missing)."""
    grid.fill_missing_boundaries()
    return write_grid(conn, grid, source, note)


def has_grid(conn: Connection) -> bool:
    """True when at least one district has a current grid version."""
    return bool(current_versions(conn))


def write_edit(
    conn: Connection, grid: Grid, *, source: str, note: str | None = None, commit: bool = True,
    overlap_tolerance_m2: float = 1.0, gap_tolerance_m2: float = 1.0,
) -> ImportOutcome:  # fmt: skip
    """Validates an edited grid (geo.edit) as an import is validated and, when it is clean and
    `commit` is set, writes it as new versions in the caller's transaction (take `lock_grids`
    before reading the grid that was edited)."""
    report = ValidationReport()
    validate_grid(grid, report, jurisdiction_codes(conn), overlap_tolerance_m2,
                  gap_tolerance_m2, other_districts_cells(conn, grid))  # fmt: skip
    if not report.ok or not commit:
        return ImportOutcome(report, None)
    return ImportOutcome(report, write_validated(conn, grid, source, note))
