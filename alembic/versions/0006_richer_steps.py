"""richer steps: absolute/trailing targets, stop-loss (issue 14)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import exstrat_app.infra.db.types
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = exstrat_app.infra.db.types.Money(precision=38, scale=18)
MOMENT = exstrat_app.infra.db.types.UTCDateTime(timezone=True)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    # Existing steps were all stated as a % of the reference, without a trail.
    with op.batch_alter_table("strategy_steps", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("target_kind", _text(5), nullable=False, server_default="pct")
        )
        batch_op.add_column(sa.Column("trail_pct", MONEY, nullable=True))
        batch_op.add_column(sa.Column("armed_at", MOMENT, nullable=True))
        batch_op.add_column(sa.Column("peak_price", MONEY, nullable=True))
        batch_op.add_column(sa.Column("peak_at", MOMENT, nullable=True))
    # Existing strategies have no stop-loss.
    with op.batch_alter_table("strategies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stop_kind", _text(5), nullable=True))
        batch_op.add_column(sa.Column("stop_value", MONEY, nullable=True))
        batch_op.add_column(sa.Column("stop_price", MONEY, nullable=True))
        batch_op.add_column(
            sa.Column("stop_break_even", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("stop_state", _text(10), nullable=False, server_default="none")
        )
        batch_op.add_column(sa.Column("stop_moved_at", MOMENT, nullable=True))
        batch_op.add_column(sa.Column("stop_fired_at", MOMENT, nullable=True))
        batch_op.add_column(sa.Column("stop_fired_price", MONEY, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("strategies", schema=None) as batch_op:
        for name in (
            "stop_fired_price",
            "stop_fired_at",
            "stop_moved_at",
            "stop_state",
            "stop_break_even",
            "stop_price",
            "stop_value",
            "stop_kind",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("strategy_steps", schema=None) as batch_op:
        for name in ("peak_at", "peak_price", "armed_at", "trail_pct", "target_kind"):
            batch_op.drop_column(name)
