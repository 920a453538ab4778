"""Case search in the command center (services.store.cases.search): `pg_trgm` and a GIN
index of trigrams over each report's description and address (substring `ILIKE` and fuzzy
`<%` on Chinese text), the case number reversed (its tail is a prefix of the reversed
number), the reporter's phone, and the keyset order of the list (received time, id).

Revision ID: 0031
Revises: 0030
"""

from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

TEXT = "(coalesce(description, '') || ' ' || coalesce(address, ''))"


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(f"CREATE INDEX report_text_trgm ON report USING gin ({TEXT} gin_trgm_ops)")
    op.execute("CREATE INDEX report_by_phone ON report (reporter_phone) "
               "WHERE reporter_phone IS NOT NULL")  # fmt: skip
    op.execute("CREATE INDEX case_file_no_reversed ON case_file "
               "(reverse(case_no) text_pattern_ops)")  # fmt: skip
    op.execute("CREATE INDEX case_file_by_created_id ON case_file (created_at DESC, id DESC)")


def downgrade() -> None:
    for index in ("case_file_by_created_id", "case_file_no_reversed", "report_by_phone",
                  "report_text_trgm"):  # fmt: skip
        op.execute(f"DROP INDEX {index}")
