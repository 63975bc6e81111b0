"""value history: one row per user and day, replay checkpoints, build state, daily candles
(issue 16)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import exstrat_app.infra.db.types
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = exstrat_app.infra.db.types.Money(precision=38, scale=18)
MOMENT = exstrat_app.infra.db.types.UTCDateTime(timezone=True)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "value_history",
        sa.Column("id", _text(32), nullable=False),
        sa.Column("user_id", _text(32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("value", MONEY, nullable=False),
        sa.Column("invested", MONEY, nullable=False),
        sa.Column("realized", MONEY, nullable=False),
        sa.Column("unrealized", MONEY, nullable=False),
        sa.Column("income", MONEY, nullable=False),
        sa.Column("unpriced", sa.Integer(), nullable=False),
        sa.Column("digest", _text(32), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "day"),
    )
    op.create_table(
        "value_history_snapshots",
        sa.Column("id", _text(32), nullable=False),
        sa.Column("user_id", _text(32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "day"),
    )
    op.create_table(
        "value_history_state",
        sa.Column("user_id", _text(32), nullable=False),
        sa.Column("fingerprint", _text(64), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=True),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("building", sa.Boolean(), nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "daily_candles",
        sa.Column("id", _text(32), nullable=False),
        sa.Column("symbol", _text(40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("close", MONEY, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("symbol", "day"),
    )


def downgrade() -> None:
    op.drop_table("daily_candles")
    op.drop_table("value_history_state")
    op.drop_table("value_history_snapshots")
    op.drop_table("value_history")
