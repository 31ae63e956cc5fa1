"""reading preferences: the 长辈版 switch of WeChat citizens (keyed by a hash, no OpenID)

Revision ID: 0008
Revises: 0006, 0007 (joins the two heads)
Create Date: 2026-12-02 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = ("0006", "0007")
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reading_preferences",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("elder", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_reading_preferences")),
    )


def downgrade() -> None:
    op.drop_table("reading_preferences")
