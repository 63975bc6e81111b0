"""Email confirmation at sign-up (issue 12): the single-use links sent to a new address.

Only the SHA-256 of a link's token is kept (a database reader cannot confirm anyone), with
when it stops working; confirming deletes the row, so a link works once. A user has at most
one live link: a new one replaces the old (services/auth/confirmation.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from exstrat_app.infra.db.types import UTCDateTime, utcnow


class EmailConfirmation(SQLModel, table=True):
    __tablename__ = "email_confirmations"
    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
