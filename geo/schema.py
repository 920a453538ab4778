"""The project's table metadata and the grid tables (jurisdictions, grid versions, cells).

`metadata` is the one SQLAlchemy MetaData of gridflow: other rooms add their tables to it.
The tables are created by the Alembic migrations (0003 for these); this module only describes
them for queries. Geometries are MultiPolygons in WGS84 (EPSG:4326).

Versioning: a grid version covers one district. Its cells never change once written; a changed
grid is a new version, and the old one gets `valid_to`. Other tables reference the versioned row
`grid_cell.id` (as `cell_id`), so a case keeps the cell version it was assigned to.
"""

from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

#: NOTIFY channel raised when a grid import commits; the payload is the new version ids.
GRID_CHANNEL = "gridflow_grid"

LEVELS = ("district", "street", "community")

jurisdiction = Table(
    "jurisdiction",
    metadata,
    Column("code", Text, primary_key=True),
    Column("level", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("parent_code", Text, ForeignKey("jurisdiction.code"), nullable=True),
    Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    CheckConstraint("level IN ('district', 'street', 'community')", name="jurisdiction_level"),
)

grid_version = Table(
    "grid_version",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("district_code", Text, ForeignKey("jurisdiction.code"), nullable=False),
    Column("valid_from", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("valid_to", DateTime(timezone=True), nullable=True),
    Column("source", Text, nullable=False),
    Column("note", Text, nullable=True),
    Column("cell_count", Integer, nullable=False),
    Column("checksum", Text, nullable=False),
)

grid_cell = Table(
    "grid_cell",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("version_id", Integer, ForeignKey("grid_version.id"), nullable=False),
    Column("code", String(15), nullable=False),
    Column("name", Text, nullable=False),
    Column("community_code", Text, ForeignKey("jurisdiction.code"), nullable=False),
    Column("street_code", Text, ForeignKey("jurisdiction.code"), nullable=False),
    Column("district_code", Text, ForeignKey("jurisdiction.code"), nullable=False),
    Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
    UniqueConstraint("version_id", "code", name="grid_cell_version_code"),
)
