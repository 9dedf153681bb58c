"""create greeting table

Revision ID: b4f6a066c872
Revises:
Create Date: 2026-11-24 17:24:03.296511

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b4f6a066c872"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "greeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_greeting")),
        sa.UniqueConstraint("text", name=op.f("uq_greeting_text")),
    )


def downgrade():
    op.drop_table("greeting")
