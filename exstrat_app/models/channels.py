"""Delivery channels beyond the tab and the inbox: web push and Apprise.

A `Channel` is one place a user's alerts go: a browser's web push subscription or an Apprise
URL (Telegram, Discord, ntfy, a JSON webhook, ...). Both carry a capability: whoever holds a
push endpoint with its keys, or an Apprise URL with its token, can message the person. So the
secret part is sealed with the secret box (AES-GCM, the channel id as associated data, like
exchange API keys) and only a masked `hint` is ever shown again.

A `ChannelDelivery` is one alert on one channel: its status, its tries and the last error in
words. One per (notification, channel), enforced by the database: a step fires one
notification, so a step reaches each channel at most once, however often the fan-out runs.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from exstrat_app.infra.db.types import UTCDateTime, utcnow

KIND_WEBPUSH = "webpush"
KIND_APPRISE = "apprise"


def _new_id() -> str:
    return uuid.uuid4().hex


class Channel(SQLModel, table=True):
    __tablename__ = "channels"
    # A browser subscribing twice (a reload, a second click) keeps one channel.
    __table_args__ = (UniqueConstraint("user_id", "fingerprint"),)
    id: str = Field(default_factory=_new_id, primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32)
    kind: str = Field(max_length=10)  # webpush | apprise
    label: str = Field(max_length=100)
    hint: str = Field(max_length=60)  # what the list shows: "json://127.0.0.1…", never the URL
    # webpush: the subscription JSON {"endpoint", "keys": {"p256dh", "auth"}}; apprise: the URL.
    secret_enc: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    key_id: str = Field(max_length=16)  # which ENCRYPTION_KEY sealed it
    # SHA-256 of the plain secret under the user id: finds a duplicate without opening rows.
    fingerprint: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # The last test send (services/notifications/channel_tests.py): queued | sent | failed,
    # its words, and the token of the job allowed to write its result (a newer test wins).
    test_state: str | None = Field(default=None, max_length=10)
    test_message: str | None = Field(default=None, max_length=300)
    test_token: str | None = Field(default=None, max_length=16)
    test_requested_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    test_done_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class ChannelDelivery(SQLModel, table=True):
    __tablename__ = "channel_deliveries"
    __table_args__ = (UniqueConstraint("notification_id", "channel_id"),)
    id: str = Field(default_factory=_new_id, primary_key=True, max_length=32)
    notification_id: str = Field(foreign_key="notifications.id", index=True, max_length=32)
    channel_id: str = Field(foreign_key="channels.id", index=True, max_length=32)
    status: str = Field(default="pending", max_length=10)  # pending | sent | failed
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
