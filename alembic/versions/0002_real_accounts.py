"""real accounts: trade kinds, income and unclassified movements, wallets, opening positions,
unvalued items

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import exstrat_app.infra.db.types
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = exstrat_app.infra.db.types.Money(precision=38, scale=18)
MOMENT = exstrat_app.infra.db.types.UTCDateTime(timezone=True)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    with op.batch_alter_table("trades", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", _text(10), nullable=False, server_default="trade"))
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.alter_column("type", existing_type=_text(10), type_=_text(16))
        batch_op.add_column(sa.Column("source", _text(40), nullable=True))
    # Room for the retail sources' cursor kinds (`earn_rewards_flexible`) and their positions.
    with op.batch_alter_table("sync_cursors", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=_text(20), type_=_text(40))
        batch_op.alter_column("last_id", existing_type=_text(64), type_=_text(128))
    with op.batch_alter_table("exchange_accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unvalued_count", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("income", MONEY, nullable=False, server_default="0"))
    _balances_per_wallet()
    op.create_table(
        "opening_positions",
        sa.Column("id", _text(32), nullable=False),
        sa.Column("user_id", _text(32), nullable=False),
        sa.Column("asset", _text(20), nullable=False),
        sa.Column("quote", _text(10), nullable=False),
        sa.Column("quantity", MONEY, nullable=False),
        sa.Column("total_cost", MONEY, nullable=False),
        sa.Column("at", MOMENT, nullable=False),
        sa.Column("note", _text(200), nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("opening_positions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_opening_positions_user_id"), ["user_id"], unique=False)
    op.create_table(
        "unvalued_items",
        sa.Column("id", _text(32), nullable=False),
        sa.Column("user_id", _text(32), nullable=False),
        sa.Column("exchange_account_id", _text(32), nullable=True),
        sa.Column("asset", _text(20), nullable=False),
        sa.Column("item_asset", _text(20), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("role", _text(16), nullable=False),
        sa.Column("ref", _text(128), nullable=True),
        sa.Column("ts", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["exchange_account_id"], ["exchange_accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("unvalued_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unvalued_items_user_id"), ["user_id"], unique=False)


def _balances_per_wallet() -> None:
    """Live balances gain the wallet they sit in; the unique key becomes (account, wallet,
    asset). The table is rebuilt (its old unique constraint has no name to drop on SQLite)
    and every existing row is kept as a spot balance."""
    op.create_table(
        "balances_new",
        sa.Column("id", _text(32), nullable=False),
        sa.Column("exchange_account_id", _text(32), nullable=False),
        sa.Column("wallet", _text(16), nullable=False),
        sa.Column("asset", _text(20), nullable=False),
        sa.Column("free", MONEY, nullable=False),
        sa.Column("locked", MONEY, nullable=False),
        sa.Column("fetched_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(["exchange_account_id"], ["exchange_accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("exchange_account_id", "wallet", "asset"),
    )
    op.execute(
        "INSERT INTO balances_new (id, exchange_account_id, wallet, asset, free, locked, "
        "fetched_at) SELECT id, exchange_account_id, 'spot', asset, free, locked, fetched_at "
        "FROM balances"
    )
    op.drop_table("balances")
    op.rename_table("balances_new", "balances")
    with op.batch_alter_table("balances", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_balances_exchange_account_id"), ["exchange_account_id"], unique=False
        )


def downgrade() -> None:
    raise NotImplementedError("exstrat migrations go forward only; restore a backup instead")
