"""channel tests through the queue: the last test's state on the channel

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from exstrat_app.infra.db.types import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("test_state", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("test_message", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("test_token", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("test_requested_at", UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("test_done_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channels", schema=None) as batch_op:
        for column in ("test_done_at", "test_requested_at", "test_token", "test_message"):
            batch_op.drop_column(column)
        batch_op.drop_column("test_state")
