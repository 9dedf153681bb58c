"""add note table (pushed by the app role's molecule test)

Revision ID: e1f2a3b4c5d6
Revises: cd5283e5cd3f

"""

import sqlalchemy as sa
from alembic import op

revision = "e1f2a3b4c5d6"
down_revision = "cd5283e5cd3f"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note")),
    )


def downgrade():
    op.drop_table("note")
