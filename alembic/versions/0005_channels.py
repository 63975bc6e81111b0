"""channels: web push subscriptions, Apprise URLs, per-channel deliveries (issue 14)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # nothing yet: kept so the revision chain stays whole


def downgrade() -> None:
    pass
