"""question log: every citizen turn (masked) with its channel and decision; the conversation's
pseudonym on unanswered questions and ratings, so the queues can show the turns around an item

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "question_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("conversation", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("typed", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("normalized", sa.Text(), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_log")),
    )
    with op.batch_alter_table("question_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_question_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_question_log_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_question_log_conversation"), ["conversation"], unique=False)
        batch_op.create_index(batch_op.f("ix_question_log_decision"), ["decision"], unique=False)
    with op.batch_alter_table("unanswered_questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conversation", sa.String(length=32), nullable=True))
    with op.batch_alter_table("answer_ratings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conversation", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("answer_ratings", schema=None) as batch_op:
        batch_op.drop_column("conversation")
    with op.batch_alter_table("unanswered_questions", schema=None) as batch_op:
        batch_op.drop_column("conversation")
    with op.batch_alter_table("question_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_log_decision"))
        batch_op.drop_index(batch_op.f("ix_question_log_conversation"))
        batch_op.drop_index(batch_op.f("ix_question_log_day"))
        batch_op.drop_index(batch_op.f("ix_question_log_at"))
    op.drop_table("question_log")
