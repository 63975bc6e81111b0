"""ladders in euros: strategies.watched_on, the market a strategy's price is read on
(docs/watching.md, "Ladders in euros")

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: the strategies stored before it are USDT ladders, read on ASSET/USDT.
    with op.batch_alter_table("strategies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("watched_on", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("strategies", schema=None) as batch_op:
        batch_op.drop_column("watched_on")
