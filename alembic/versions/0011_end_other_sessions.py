"""ending a user's other sessions: users.sessions_cut_at, users.session_kept_jti

Setting up two-factor sign-in ends every other session of the user (sessions are not
stored: the cut and the one session kept live on the user's row).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import exstrat_app.infra.db.types
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOMENT = exstrat_app.infra.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sessions_cut_at", MOMENT, nullable=True))
        batch_op.add_column(
            sa.Column(
                "session_kept_jti", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_kept_jti")
        batch_op.drop_column("sessions_cut_at")
