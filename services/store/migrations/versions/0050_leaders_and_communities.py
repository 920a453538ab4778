"""Leaders and community-level accounts: the read-only `leader` role, and operators and
leaders bound to a community (a 12-digit jurisdiction) besides a district or a street. Both
need a jurisdiction.

Revision ID: 0050
Revises: 0021
"""

from alembic import op

revision = "0050"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE app_user DROP CONSTRAINT app_user_role_check;
        ALTER TABLE app_user DROP CONSTRAINT app_user_jurisdiction_code_check;
        ALTER TABLE app_user DROP CONSTRAINT app_user_check;
        ALTER TABLE app_user ADD CONSTRAINT app_user_role_check CHECK (
            role IN ('grid_worker', 'operator', 'department_staff', 'admin', 'leader'));
        ALTER TABLE app_user ADD CONSTRAINT app_user_jurisdiction_code_check CHECK (
            jurisdiction_code ~ '^[0-9]{6}([0-9]{3}){0,2}$');
        ALTER TABLE app_user ADD CONSTRAINT app_user_check CHECK (
            role NOT IN ('operator', 'leader') OR jurisdiction_code IS NOT NULL);
        """
    )


def downgrade() -> None:
    op.execute(
        """
        ALTER TABLE app_user DROP CONSTRAINT app_user_role_check;
        ALTER TABLE app_user DROP CONSTRAINT app_user_jurisdiction_code_check;
        ALTER TABLE app_user DROP CONSTRAINT app_user_check;
        ALTER TABLE app_user ADD CONSTRAINT app_user_role_check CHECK (
            role IN ('grid_worker', 'operator', 'department_staff', 'admin'));
        ALTER TABLE app_user ADD CONSTRAINT app_user_jurisdiction_code_check CHECK (
            jurisdiction_code ~ '^[0-9]{6}([0-9]{3})?$');
        ALTER TABLE app_user ADD CONSTRAINT app_user_check CHECK (
            role <> 'operator' OR jurisdiction_code IS NOT NULL);
        """
    )
