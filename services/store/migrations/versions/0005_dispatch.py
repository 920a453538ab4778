"""Dispatch: departments, routing rules, cases, case events, SLA, audit (streams/ + services/).

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

DEPARTMENTS = """
CREATE TABLE department (
    code                text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    name_zh             text NOT NULL,
    name_en             text NOT NULL DEFAULT '',
    kind                text NOT NULL CHECK (kind IN ('department', 'street_office',
                        'community_committee', 'property_company', 'operator_queue')),
    jurisdiction_code   text NOT NULL CHECK (jurisdiction_code ~ '^[0-9]{6}([0-9]{3}){0,3}$'),
    admitted_categories text[] NOT NULL DEFAULT '{}',
    active              boolean NOT NULL DEFAULT true,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE ruleset_version (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL,
    source      text NOT NULL,
    note        text
);
CREATE TABLE routing_rule (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ruleset_version   bigint NOT NULL REFERENCES ruleset_version (id),
    category_code     text REFERENCES category (code),
    jurisdiction_code text NOT NULL CHECK (jurisdiction_code ~ '^[0-9]{6}([0-9]{3}){0,3}$'),
    department_code   text NOT NULL REFERENCES department (code),
    priority          integer NOT NULL DEFAULT 0,
    active            boolean NOT NULL DEFAULT true
);
CREATE INDEX routing_rule_active ON routing_rule (jurisdiction_code) WHERE active;
CREATE INDEX routing_rule_by_version ON routing_rule (ruleset_version);
CREATE TABLE audit_log (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT now(),
    actor    text NOT NULL,
    action   text NOT NULL,
    subject  text NOT NULL,
    outcome  text NOT NULL CHECK (outcome IN ('done', 'refused')),
    reason   text,
    detail   jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_by_at ON audit_log (at DESC);
CREATE INDEX audit_log_by_subject ON audit_log (subject, at DESC);
"""

CASES = """
CREATE TABLE case_file (
    id               uuid PRIMARY KEY,
    case_no          text NOT NULL UNIQUE,
    report_id        uuid NOT NULL UNIQUE REFERENCES report (id),
    state            text NOT NULL CHECK (state IN ('reported', 'registered', 'rejected',
                     'merged', 'dispatched', 'acknowledged', 'returned', 'resolved', 'closed')),
    category_code    text NOT NULL REFERENCES category (code),
    priority         text NOT NULL,
    around_the_clock boolean NOT NULL DEFAULT false,
    department_code  text REFERENCES department (code),
    route_reason     text,
    ruleset_version  bigint REFERENCES ruleset_version (id),
    cell_id          bigint REFERENCES grid_cell (id),
    cell_code        text,
    grid_version     integer,
    community_code   text,
    street_code      text,
    district_code    text,
    geom             geometry(Point, 4326),
    created_at       timestamptz NOT NULL,
    registered_at    timestamptz,
    dispatched_at    timestamptz,
    acknowledged_at  timestamptz,
    resolved_at      timestamptz,
    closed_at        timestamptz,
    ack_due          timestamptz,
    resolve_due      timestamptz,
    ack_overdue      boolean NOT NULL DEFAULT false,
    resolve_overdue  boolean NOT NULL DEFAULT false,
    extension_count  integer NOT NULL DEFAULT 0,
    escalation_level integer NOT NULL DEFAULT 0,
    rework_count     integer NOT NULL DEFAULT 0,
    duplicate_count  integer NOT NULL DEFAULT 0,
    merged_into      uuid REFERENCES case_file (id),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((state = 'merged') = (merged_into IS NOT NULL))
);
CREATE INDEX case_file_open_by_category ON case_file (category_code, created_at)
    WHERE state NOT IN ('closed', 'rejected', 'merged');
CREATE INDEX case_file_open_geom ON case_file USING gist (geom)
    WHERE state NOT IN ('closed', 'rejected', 'merged');
CREATE INDEX case_file_by_department ON case_file (department_code, state);
CREATE INDEX case_file_by_district ON case_file (district_code, created_at DESC);
CREATE INDEX case_file_by_street ON case_file (street_code, created_at DESC);
CREATE INDEX case_file_by_cell ON case_file (cell_code, created_at DESC);
CREATE INDEX case_file_by_created ON case_file (created_at DESC);
CREATE TABLE case_event (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id  uuid NOT NULL UNIQUE,
    case_id   uuid NOT NULL REFERENCES case_file (id),
    type      text NOT NULL,
    actor     text,
    at        timestamptz NOT NULL,
    payload   jsonb NOT NULL
);
CREATE INDEX case_event_by_case ON case_event (case_id, id);
CREATE INDEX case_event_by_at ON case_event (at);
CREATE TABLE processed_event (
    consumer     text NOT NULL,
    event_id     uuid NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
"""


def upgrade() -> None:
    op.execute(DEPARTMENTS)
    op.execute(CASES)


def downgrade() -> None:
    op.execute(
        "DROP TABLE processed_event, case_event, case_file, audit_log, routing_rule, "
        "ruleset_version, department"
    )
