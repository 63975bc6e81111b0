"""order execution: trading keys, execution modes, orders, audit (issue 15)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import exstrat_app.infra.db.types
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = exstrat_app.infra.db.types.Money(precision=38, scale=18)
MOMENT = exstrat_app.infra.db.types.UTCDateTime(timezone=True)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    with op.batch_alter_table("strategies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("execution_mode", _text(10), nullable=False, server_default="alert")
        )
        batch_op.add_column(
            sa.Column("paper", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "trading_keys",
        sa.Column("id", _text(32), nullable=False),
        sa.Column("exchange_account_id", _text(32), nullable=False),
        sa.Column("api_key_enc", sa.LargeBinary(), nullable=False),
        sa.Column("api_secret_enc", sa.LargeBinary(), nullable=False),
        sa.Column("api_pass_enc", sa.LargeBinary(), nullable=True),
        sa.Column("key_id", _text(16), nullable=False),
        sa.Column("status", _text(10), nullable=False),
        sa.Column("problem", _text(500), nullable=True),
        sa.Column("checked_at", MOMENT, nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(["exchange_account_id"], ["exchange_accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("trading_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trading_keys_exchange_account_id"), ["exchange_account_id"], unique=True
        )
    op.create_table(
        "execution_settings",
        sa.Column("user_id", _text(32), nullable=False),
        sa.Column("kill_switch", sa.Boolean(), nullable=False),
        sa.Column("daily_cap", MONEY, nullable=True),
        sa.Column("paper", sa.Boolean(), nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "orders",
        sa.Column("id", _text(32), nullable=False),
        sa.Column("user_id", _text(32), nullable=False),
        sa.Column("strategy_id", _text(32), nullable=False),
        sa.Column("step_id", _text(32), nullable=False),
        sa.Column("exchange_account_id", _text(32), nullable=True),
        sa.Column("client_order_id", _text(36), nullable=False),
        sa.Column("exchange_order_id", _text(64), nullable=True),
        sa.Column("symbol", _text(40), nullable=False),
        sa.Column("side", _text(4), nullable=False),
        sa.Column("status", _text(24), nullable=False),
        sa.Column("paper", sa.Boolean(), nullable=False),
        sa.Column("price", MONEY, nullable=True),
        sa.Column("qty", MONEY, nullable=True),
        sa.Column("filled_qty", MONEY, nullable=False),
        sa.Column("avg_fill_price", MONEY, nullable=True),
        sa.Column("trigger_price", MONEY, nullable=False),
        sa.Column("reason", _text(500), nullable=True),
        sa.Column("confirm_by", MOMENT, nullable=True),
        sa.Column("sent_at", MOMENT, nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(["exchange_account_id"], ["exchange_accounts.id"]),
        sa.ForeignKeyConstraint(["step_id"], ["strategy_steps.id"]),
        sa.ForeignKeyConstraint(["strategy_id"], ["strategies.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_order_id"),
        sa.UniqueConstraint("step_id"),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_status", ["status"], unique=False)
        batch_op.create_index("ix_orders_user_created", ["user_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_orders_strategy_id"), ["strategy_id"], unique=False)
    op.create_table(
        "order_audit",
        sa.Column("id", _text(32), nullable=False),
        sa.Column("order_id", _text(32), nullable=False),
        sa.Column("user_id", _text(32), nullable=False),
        sa.Column("action", _text(16), nullable=False),
        sa.Column("request", _text(2000), nullable=False),
        sa.Column("response", _text(2000), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("order_audit", schema=None) as batch_op:
        batch_op.create_index("ix_order_audit_order_at", ["order_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_audit_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("order_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_audit_user_id"))
        batch_op.drop_index("ix_order_audit_order_at")
    op.drop_table("order_audit")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_strategy_id"))
        batch_op.drop_index("ix_orders_user_created")
        batch_op.drop_index("ix_orders_status")
    op.drop_table("orders")
    op.drop_table("execution_settings")
    with op.batch_alter_table("trading_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trading_keys_exchange_account_id"))
    op.drop_table("trading_keys")
    with op.batch_alter_table("strategies", schema=None) as batch_op:
        batch_op.drop_column("paper")
        batch_op.drop_column("execution_mode")
