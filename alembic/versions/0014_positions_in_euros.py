"""figures in euros (docs/currencies.md): positions.eur_cost_basis, eur_avg_price,
eur_realized_pnl, eur_income; value_history.eur_value, eur_invested, eur_realized,
eur_unrealized, eur_income, eur_unpriced

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa

import exstrat_app.infra.db.types
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = exstrat_app.infra.db.types.Money(precision=38, scale=18)
COLUMNS = ("eur_cost_basis", "eur_avg_price", "eur_realized_pnl", "eur_income")
HISTORY_COLUMNS = ("eur_value", "eur_invested", "eur_realized", "eur_unrealized", "eur_income")


def upgrade() -> None:
    # Nullable: filled by the next rebuild of each user's positions and history (a cached
    # replay or snapshot without its euro book is not reused).
    with op.batch_alter_table("positions", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, MONEY, nullable=True))
    with op.batch_alter_table("value_history", schema=None) as batch_op:
        for name in HISTORY_COLUMNS:
            batch_op.add_column(sa.Column(name, MONEY, nullable=True))
        batch_op.add_column(sa.Column("eur_unpriced", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("value_history", schema=None) as batch_op:
        batch_op.drop_column("eur_unpriced")
        for name in reversed(HISTORY_COLUMNS):
            batch_op.drop_column(name)
    with op.batch_alter_table("positions", schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
