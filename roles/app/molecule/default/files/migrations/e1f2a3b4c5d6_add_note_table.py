"""add note table (pushed by the app role's molecule test)

Revision ID: e1f2a3b4c5d6
Revises: 5f6423b53f25

"""

import sqlalchemy as sa
from alembic import op

revision = "e1f2a3b4c5d6"
down_revision = "5f6423b53f25"
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
