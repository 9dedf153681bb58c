"""a migration that fails (pushed by the app role's molecule test)

Revision ID: f0f0f0f0f0f0
Revises: e1f2a3b4c5d6

"""

import sqlalchemy as sa
from alembic import op

revision = "f0f0f0f0f0f0"
down_revision = "e1f2a3b4c5d6"
branch_labels = None
depends_on = None


def upgrade():
    # Created, then rolled back with the failed transaction.
    op.create_table("doomed", sa.Column("id", sa.Integer(), primary_key=True))
    raise RuntimeError("this migration fails on purpose")


def downgrade():
    op.drop_table("doomed")
