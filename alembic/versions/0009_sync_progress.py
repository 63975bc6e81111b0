"""sync progress: the estimate of time left (issue 17)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("exchange_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("progress_eta_s", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("exchange_accounts", schema=None) as batch_op:
        batch_op.drop_column("progress_eta_s")
