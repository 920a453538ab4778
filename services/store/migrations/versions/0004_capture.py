"""Capture: accounts, categories, reports, photos, patrol (services/).

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ACCOUNTS = """
CREATE TABLE app_user (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username          text NOT NULL UNIQUE
                      CHECK (username ~ '^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$'),
    password_hash     text NOT NULL,
    role              text NOT NULL
                      CHECK (role IN ('grid_worker', 'operator', 'department_staff', 'admin')),
    display_name      text NOT NULL DEFAULT '',
    phone             text,
    jurisdiction_code text CHECK (jurisdiction_code ~ '^[0-9]{6}([0-9]{3})?$'),
    department_code   text,
    active            boolean NOT NULL DEFAULT true,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (role <> 'operator' OR jurisdiction_code IS NOT NULL),
    CHECK (role <> 'department_staff' OR department_code IS NOT NULL)
);
CREATE TABLE user_cell (
    user_id   bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    cell_code text NOT NULL CHECK (cell_code ~ '^[0-9]{15}$'),
    PRIMARY KEY (user_id, cell_code)
);
CREATE INDEX user_cell_by_code ON user_cell (cell_code);
CREATE TABLE auth_session (
    id           uuid PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    refresh_jti  uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    refreshed_at timestamptz,
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX auth_session_by_user ON auth_session (user_id);
CREATE TABLE open311_client (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    key_hash   text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
"""

CATALOG = """
CREATE TABLE category (
    code                     text PRIMARY KEY CHECK (code ~ '^[0-9]{6}$'),
    family                   text NOT NULL CHECK (family IN ('component', 'event')),
    big_class                text NOT NULL CHECK (big_class ~ '^[0-9]{2}$'),
    big_class_zh             text NOT NULL,
    big_class_en             text NOT NULL,
    name_zh                  text NOT NULL,
    name_en                  text NOT NULL,
    priority                 text NOT NULL CHECK (priority IN ('normal', 'urgent')),
    ack_limit_minutes        integer NOT NULL CHECK (ack_limit_minutes > 0),
    resolve_limit_minutes    integer NOT NULL CHECK (resolve_limit_minutes > 0),
    around_the_clock         boolean NOT NULL DEFAULT false,
    community_admissible     boolean NOT NULL DEFAULT false,
    duplicate_radius_m       integer NOT NULL DEFAULT 50,
    duplicate_window_minutes integer NOT NULL DEFAULT 1440,
    active                   boolean NOT NULL DEFAULT true
);
"""

REPORTS = """
CREATE TABLE report (
    id              uuid PRIMARY KEY,
    case_no         text NOT NULL UNIQUE,
    channel         text NOT NULL CHECK (channel IN ('grid', 'open311', 'hotline')),
    reporter_id     bigint REFERENCES app_user (id),
    reporter_name   text,
    reporter_phone  text,
    reporter_email  text,
    open311_client_id bigint REFERENCES open311_client (id),
    category_code   text NOT NULL REFERENCES category (code),
    description     text NOT NULL,
    address         text,
    attributes      jsonb NOT NULL DEFAULT '{}'::jsonb,
    lat             double precision,
    lng             double precision,
    geom            geometry(Point, 4326),
    crs             text NOT NULL,
    accuracy_m      double precision,
    placement       text NOT NULL CHECK (placement IN ('inside', 'snapped', 'outside')),
    distance_m      double precision,
    cell_id         bigint REFERENCES grid_cell (id),
    cell_code       text,
    grid_version    integer,
    community_code  text,
    street_code     text,
    district_code   text,
    occurred_at     timestamptz NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    handled_on_spot boolean NOT NULL DEFAULT false,
    body_hash       text NOT NULL,
    hidden          boolean NOT NULL DEFAULT false,
    redacted        boolean NOT NULL DEFAULT false
);
CREATE INDEX report_by_reporter ON report (reporter_id, received_at DESC);
CREATE INDEX report_by_cell ON report (cell_code, received_at DESC);
CREATE INDEX report_by_district ON report (district_code, received_at DESC);
CREATE INDEX report_by_received ON report (received_at DESC);
CREATE INDEX report_geom ON report USING gist (geom);
CREATE TABLE report_photo (
    id         uuid PRIMARY KEY,
    report_id  uuid NOT NULL REFERENCES report (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('before', 'after')),
    position   smallint NOT NULL,
    media_type text NOT NULL,
    path       text NOT NULL,
    thumb_path text NOT NULL,
    width      integer NOT NULL,
    height     integer NOT NULL,
    bytes      integer NOT NULL,
    sha256     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (report_id, kind, position)
);
CREATE TABLE case_no_counter (
    prefix text NOT NULL,
    day    date NOT NULL,
    last   integer NOT NULL,
    PRIMARY KEY (prefix, day)
);
CREATE TABLE verification_task (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id   uuid NOT NULL REFERENCES report (id),
    case_ref    text,
    cell_code   text NOT NULL,
    worker_id   bigint REFERENCES app_user (id),
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
    note        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    due_at      timestamptz,
    done_at     timestamptz
);
CREATE TABLE patrol_batch (
    worker_id   bigint NOT NULL REFERENCES app_user (id),
    batch_id    uuid NOT NULL,
    points      integer NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (worker_id, batch_id)
);
CREATE INDEX verification_task_open ON verification_task (cell_code) WHERE status = 'open';
"""


def upgrade() -> None:
    from services.store.catalog import load_catalog

    op.execute(ACCOUNTS)
    op.execute(CATALOG)
    op.execute(REPORTS)
    load_catalog(op.get_bind())


def downgrade() -> None:
    op.execute(
        "DROP TABLE patrol_batch, verification_task, case_no_counter, report_photo, report, "
        "category, open311_client, auth_session, user_cell, app_user"
    )
