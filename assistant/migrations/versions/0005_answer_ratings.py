"""answer ratings (好差评)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 10:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "answer_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("about_kind", sa.String(length=10), nullable=True),
        sa.Column("about_code", sa.String(length=64), nullable=True),
        sa.Column("about_name", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("linked_code", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_ratings")),
    )
    with op.batch_alter_table("answer_ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_answer_ratings_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_answer_ratings_about_code"), ["about_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_answer_ratings_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("answer_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_ratings_status"))
        batch_op.drop_index(batch_op.f("ix_answer_ratings_about_code"))
        batch_op.drop_index(batch_op.f("ix_answer_ratings_at"))
    op.drop_table("answer_ratings")
