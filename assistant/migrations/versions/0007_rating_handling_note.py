"""answer ratings: the editor's note when a 差评 is handled (已处理（说明）)

Revision ID: 0007
Revises: 0005 (a branch beside any other 0006; ``migrate`` applies every head)
Create Date: 2026-12-01 16:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("answer_ratings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("handled_by", sa.String(length=50), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("answer_ratings", schema=None) as batch_op:
        batch_op.drop_column("handled_by")
        batch_op.drop_column("note")
