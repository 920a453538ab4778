"""Grids: jurisdictions, grid versions, cells (geo/).

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE jurisdiction (
            code        text PRIMARY KEY,
            level       text NOT NULL
                        CONSTRAINT jurisdiction_level
                        CHECK (level IN ('district', 'street', 'community')),
            name        text NOT NULL,
            parent_code text REFERENCES jurisdiction (code),
            geom        geometry(MultiPolygon, 4326),
            updated_at  timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT jurisdiction_code_shape CHECK (
                (level = 'district' AND code ~ '^[0-9]{6}$' AND parent_code IS NULL)
                OR (level = 'street' AND code ~ '^[0-9]{9}$' AND parent_code = left(code, 6))
                OR (level = 'community' AND code ~ '^[0-9]{12}$' AND parent_code = left(code, 9))
            )
        );
        CREATE INDEX jurisdiction_geom ON jurisdiction USING gist (geom);
        CREATE INDEX jurisdiction_parent ON jurisdiction (parent_code);

        CREATE TABLE grid_version (
            id            serial PRIMARY KEY,
            district_code text NOT NULL REFERENCES jurisdiction (code),
            valid_from    timestamptz NOT NULL DEFAULT now(),
            valid_to      timestamptz,
            source        text NOT NULL,
            note          text,
            cell_count    integer NOT NULL,
            checksum      text NOT NULL,
            CONSTRAINT grid_version_period CHECK (valid_to IS NULL OR valid_to >= valid_from)
        );
        CREATE UNIQUE INDEX grid_version_current
            ON grid_version (district_code) WHERE valid_to IS NULL;

        CREATE TABLE grid_cell (
            id             bigserial PRIMARY KEY,
            version_id     integer NOT NULL REFERENCES grid_version (id),
            code           char(15) NOT NULL CHECK (code ~ '^[0-9]{15}$'),
            name           text NOT NULL,
            community_code text NOT NULL REFERENCES jurisdiction (code),
            street_code    text NOT NULL REFERENCES jurisdiction (code),
            district_code  text NOT NULL REFERENCES jurisdiction (code),
            geom           geometry(MultiPolygon, 4326) NOT NULL,
            CONSTRAINT grid_cell_version_code UNIQUE (version_id, code),
            CONSTRAINT grid_cell_parents CHECK (
                community_code = left(code, 12)
                AND street_code = left(code, 9)
                AND district_code = left(code, 6)
            )
        );
        CREATE INDEX grid_cell_geom ON grid_cell USING gist (geom);
        CREATE INDEX grid_cell_code ON grid_cell (code);
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE grid_cell; DROP TABLE grid_version; DROP TABLE jurisdiction;")
