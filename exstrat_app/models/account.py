"""A person's account over its life: password reset and email change links, the sessions
they are signed in with, and their personal API tokens (docs/account.md).

Every secret here is kept as its SHA-256 only (a database reader can neither reset a password,
change an address nor call the API): links and tokens carry the secret, the rows its digest.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from exstrat_app.infra.db.types import UTCDateTime, utcnow


def _new_id() -> str:
    return uuid.uuid4().hex


class PasswordReset(SQLModel, table=True):
    """A "forgot my password" link: single use, one hour, only the newest one works."""

    __tablename__ = "password_resets"
    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class EmailChange(SQLModel, table=True):
    """A confirmation link sent to a new address: the address changes when it is used."""

    __tablename__ = "email_changes"
    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32)
    new_email: str = Field(max_length=320)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class UserSession(SQLModel, table=True):
    """One signed-in browser (a session token's `jti`): where and when, to list and end it."""

    __tablename__ = "user_sessions"
    jti: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ip: str = Field(default="", max_length=45)
    user_agent: str = Field(default="", max_length=300)


class ApiToken(SQLModel, table=True):
    """A personal API token (`Authorization: Bearer exs_…`), scoped read or write."""

    __tablename__ = "api_tokens"
    id: str = Field(default_factory=_new_id, primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32)
    name: str = Field(max_length=100)
    scope: str = Field(max_length=5)  # read | write
    token_hash: str = Field(max_length=64, unique=True)
    hint: str = Field(max_length=16)  # the token's first characters, to recognise it
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
