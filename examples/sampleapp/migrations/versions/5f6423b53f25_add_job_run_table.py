"""add job_run table

Revision ID: 5f6423b53f25
Revises: a7d3e9f1c2b4
Create Date: 2026-12-08 10:15:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5f6423b53f25"
down_revision = "a7d3e9f1c2b4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column(
            "finished_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("result", sa.String(length=200), nullable=False),
        sa.Column("worker", sa.String(length=255), nullable=False),
        sa.Column("release", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_run")),
        sa.UniqueConstraint("task_id", name=op.f("uq_job_run_task_id")),
    )


def downgrade():
    op.drop_table("job_run")
