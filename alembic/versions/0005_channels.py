"""channels: web push subscriptions, Apprise URLs, per-channel deliveries (issue 14)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import exstrat_app.infra.db.types
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOMENT = exstrat_app.infra.db.types.UTCDateTime(timezone=True)


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "channels",
        sa.Column("id", _text(32), nullable=False),
        sa.Column("user_id", _text(32), nullable=False),
        sa.Column("kind", _text(10), nullable=False),
        sa.Column("label", _text(100), nullable=False),
        sa.Column("hint", _text(60), nullable=False),
        sa.Column("secret_enc", sa.LargeBinary(), nullable=False),
        sa.Column("key_id", _text(16), nullable=False),
        sa.Column("fingerprint", _text(64), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "fingerprint"),
    )
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_channels_user_id"), ["user_id"], unique=False)
    op.create_table(
        "channel_deliveries",
        sa.Column("id", _text(32), nullable=False),
        sa.Column("notification_id", _text(32), nullable=False),
        sa.Column("channel_id", _text(32), nullable=False),
        sa.Column("status", _text(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", _text(300), nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("sent_at", MOMENT, nullable=True),
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"]),
        sa.ForeignKeyConstraint(["notification_id"], ["notifications.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notification_id", "channel_id"),
    )
    with op.batch_alter_table("channel_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_channel_deliveries_channel_id"), ["channel_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_channel_deliveries_notification_id"), ["notification_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("channel_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_deliveries_notification_id"))
        batch_op.drop_index(batch_op.f("ix_channel_deliveries_channel_id"))
    op.drop_table("channel_deliveries")
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channels_user_id"))
    op.drop_table("channels")
