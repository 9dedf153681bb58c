"""add deploy_run table

Revision ID: a7d3e9f1c2b4
Revises: cd5283e5cd3f
Create Date: 2026-12-01 19:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a7d3e9f1c2b4"
down_revision = "cd5283e5cd3f"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "deploy_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "ran_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("release", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.String(length=32), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deploy_run")),
    )


def downgrade():
    op.drop_table("deploy_run")
