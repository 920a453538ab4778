"""Handling: extensions, verification, ratings, SLA flags, case photos, calendar overrides.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

HANDLING = """
-- The SLA sweeper warns once per due time: a warning is recorded for the due time it was
-- raised for, so a new due time (re-dispatch, rework, extension) can be warned about again.
ALTER TABLE case_file
    ADD COLUMN ack_warned_due     timestamptz,
    ADD COLUMN resolve_warned_due timestamptz;
CREATE INDEX case_file_with_department ON case_file (state, resolve_due)
    WHERE state IN ('dispatched', 'acknowledged');

CREATE TABLE case_extension (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id         uuid NOT NULL REFERENCES case_file (id),
    department_code text,
    requested_by    text NOT NULL,
    requested_at    timestamptz NOT NULL,
    requested_due   timestamptz NOT NULL,
    previous_due    timestamptz,
    reason          text NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'approved', 'rejected', 'lapsed')),
    decided_by      text,
    decided_at      timestamptz,
    decision_reason text,
    new_due         timestamptz
);
CREATE UNIQUE INDEX case_extension_one_pending ON case_extension (case_id)
    WHERE status = 'pending';
CREATE INDEX case_extension_by_case ON case_extension (case_id, id);

CREATE TABLE case_rating (
    case_id  uuid PRIMARY KEY REFERENCES case_file (id),
    rating   text NOT NULL CHECK (rating IN ('satisfied', 'basically_satisfied', 'dissatisfied')),
    comment  text NOT NULL DEFAULT '',
    rated_by text NOT NULL,
    rated_at timestamptz NOT NULL
);

-- Evidence photos of the handling: the department's resolution, the worker's verification.
CREATE TABLE case_photo (
    id          uuid PRIMARY KEY,
    case_id     uuid NOT NULL REFERENCES case_file (id),
    event_id    uuid NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('resolution', 'verification')),
    position    smallint NOT NULL,
    media_type  text NOT NULL,
    path        text NOT NULL,
    thumb_path  text NOT NULL,
    width       integer NOT NULL,
    height      integer NOT NULL,
    bytes       integer NOT NULL,
    sha256      text NOT NULL,
    uploaded_by text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, position)
);
CREATE INDEX case_photo_by_case ON case_photo (case_id, created_at);

-- A verification task (0004) belongs to one resolution of a case; its answer is kept so a
-- phone resending the same answer gets the same outcome.
ALTER TABLE verification_task
    ADD COLUMN case_id     uuid REFERENCES case_file (id),
    ADD COLUMN passed      boolean,
    ADD COLUMN answered_by bigint REFERENCES app_user (id);
CREATE UNIQUE INDEX verification_task_one_open ON verification_task (case_id)
    WHERE status = 'open';

-- Moderation: photos hidden from the public (text: `redacted`, whole report: `hidden`).
ALTER TABLE report ADD COLUMN photos_hidden boolean NOT NULL DEFAULT false;

-- Admin overrides of China's official calendar (a date made working or closed).
CREATE TABLE calendar_override (
    day        date PRIMARY KEY,
    working    boolean NOT NULL,
    note       text NOT NULL DEFAULT '',
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
"""


def upgrade() -> None:
    op.execute(HANDLING)


def downgrade() -> None:
    op.execute(
        "DROP TABLE calendar_override, case_photo, case_rating, case_extension;"
        "ALTER TABLE report DROP COLUMN photos_hidden;"
        "DROP INDEX verification_task_one_open;"
        "ALTER TABLE verification_task DROP COLUMN case_id, DROP COLUMN passed, "
        "DROP COLUMN answered_by;"
        "DROP INDEX case_file_with_department;"
        "ALTER TABLE case_file DROP COLUMN ack_warned_due, DROP COLUMN resolve_warned_due"
    )
