"""Extra questions per category: what the reporter is asked besides the description (a text
or a choice from a list, required or not), set by the admin on the catalog page, shown on the
phone's report form and in the Open311 service definition. A list of
{code, text_zh, text_en, kind, choices, required} in the category's order; the answers are kept
in the report's `attributes` by code. Audited with the rest of the row (0008's category trigger).

Revision ID: 0075
Revises: 0060
"""

from alembic import op

revision = "0075"
down_revision = "0060"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE category ADD COLUMN questions jsonb NOT NULL DEFAULT '[]'")
    op.execute(
        "ALTER TABLE category ADD CONSTRAINT category_questions_list "
        "CHECK (jsonb_typeof(questions) = 'array')"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE category DROP COLUMN questions")
