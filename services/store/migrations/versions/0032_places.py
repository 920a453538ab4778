"""The gazetteer (services.places): named places searched by name and by pinyin initials
without the internet — the jurisdictions and grid cells (copied from the grid) and roads,
POIs and residential compounds imported from GeoJSON or CSV (`gridflow places import`).

Revision ID: 0032
Revises: 0031
"""

from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE place (
            id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            kind      text NOT NULL CHECK (kind IN ('district', 'street', 'community', 'cell',
                                                    'road', 'poi', 'compound')),
            name      text NOT NULL CHECK (name ~ '\\S'),
            code      text,
            initials  text NOT NULL,
            spelled   text NOT NULL,
            lat       double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
            lng       double precision NOT NULL CHECK (lng BETWEEN -180 AND 180),
            source    text NOT NULL
        )
    """)
    op.execute("CREATE INDEX place_by_initials ON place (initials text_pattern_ops)")
    op.execute("CREATE INDEX place_by_spelling ON place (spelled text_pattern_ops)")
    op.execute("CREATE INDEX place_name_trgm ON place USING gin (name gin_trgm_ops)")
    op.execute("CREATE INDEX place_by_source ON place (source)")


def downgrade() -> None:
    op.execute("DROP TABLE place")
