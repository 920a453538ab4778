"""Patrol: raw points (partitioned by local day, dropped after the retention), the worker-day
figures with the simplified track kept for good, and the coverage of each cell and day.

Partitions are made and dropped by two functions owned by the tables' owner (SECURITY
DEFINER), the one door through which `gridflow patrol` and the scheduler, connected as members
of `gridflow_app`, change the schema.

Revision ID: 0040
Revises: 0021
"""

from alembic import op

revision = "0040"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE patrol_point (
            worker_id  bigint NOT NULL,
            day        date NOT NULL,
            t          timestamptz NOT NULL,
            lat        double precision NOT NULL,
            lng        double precision NOT NULL,
            accuracy_m real,
            flagged    boolean NOT NULL DEFAULT false,
            PRIMARY KEY (worker_id, day, t)
        ) PARTITION BY RANGE (day);

        CREATE TABLE patrol_day (
            worker_id    bigint NOT NULL REFERENCES app_user (id),
            day          date NOT NULL,
            first_at     timestamptz NOT NULL,
            last_at      timestamptz NOT NULL,
            points       integer NOT NULL,
            flagged      integer NOT NULL,
            segments     integer NOT NULL,
            distance_m   double precision NOT NULL,
            patrol_s     double precision NOT NULL,
            own_cells_s  double precision NOT NULL,
            track        geometry(MultiLineString, 4326),
            updated_at   timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (worker_id, day)
        );
        CREATE INDEX patrol_day_by_day ON patrol_day (day);
        CREATE INDEX patrol_day_track ON patrol_day USING gist (track);

        CREATE TABLE patrol_coverage (
            cell_code   text NOT NULL,
            day         date NOT NULL,
            share       double precision NOT NULL CHECK (share BETWEEN 0 AND 1),
            own_share   double precision NOT NULL CHECK (own_share BETWEEN 0 AND 1),
            updated_at  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (cell_code, day)
        );
        CREATE INDEX patrol_coverage_by_day ON patrol_coverage (day);

        CREATE FUNCTION patrol_point_partition(d date) RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE
            name text := 'patrol_point_' || to_char(d, 'YYYYMMDD');
        BEGIN
            IF to_regclass(name) IS NULL THEN
                EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF patrol_point '
                               'FOR VALUES FROM (%L) TO (%L)', name, d, d + 1);
            END IF;
        END $$;

        CREATE FUNCTION patrol_point_drop_before(d date) RETURNS integer
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE
            part record;
            dropped integer := 0;
        BEGIN
            FOR part IN
                SELECT c.relname FROM pg_inherits i
                JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = 'patrol_point'::regclass
                  AND c.relname ~ '^patrol_point_[0-9]{8}$'
                  AND to_date(right(c.relname, 8), 'YYYYMMDD') < d
            LOOP
                EXECUTE format('DROP TABLE %I', part.relname);
                dropped := dropped + 1;
            END LOOP;
            RETURN dropped;
        END $$;

        REVOKE ALL ON FUNCTION patrol_point_partition(date) FROM PUBLIC;
        REVOKE ALL ON FUNCTION patrol_point_drop_before(date) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION patrol_point_partition(date) TO gridflow_app;
        GRANT EXECUTE ON FUNCTION patrol_point_drop_before(date) TO gridflow_app;
        """
    )


def downgrade() -> None:
    op.execute(
        "DROP FUNCTION patrol_point_drop_before(date); DROP FUNCTION patrol_point_partition(date); "
        "DROP TABLE patrol_coverage, patrol_day, patrol_point"
    )
