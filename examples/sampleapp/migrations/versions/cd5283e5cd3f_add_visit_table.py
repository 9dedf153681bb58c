"""add visit table

Revision ID: cd5283e5cd3f
Revises: b4f6a066c872
Create Date: 2026-11-24 17:24:03.785453

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "cd5283e5cd3f"
down_revision = "b4f6a066c872"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit")),
    )


def downgrade():
    op.drop_table("visit")
