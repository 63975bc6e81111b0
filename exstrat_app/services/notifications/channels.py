"""A user's delivery channels: add (web push subscription, Apprise URL), list, remove, test.

The secret part of a channel (the push subscription with its keys, the Apprise URL with its
token) is sealed with the secret box, the channel id and `channel` as associated data (see
`models.channels`); the list shows a label and a masked hint, never the secret again. The
fan-out of a fired alert to these channels is `channel_delivery`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete
from sqlmodel import Session, col, select

from exstrat_app.infra.apprise_sender import AppriseFailed, describe, send_apprise
from exstrat_app.infra.crypto import SecretBox
from exstrat_app.infra.webpush import (
    PushFailed,
    Subscription,
    send_push,
    subscription_from_json,
    subscription_to_json,
)
from exstrat_app.models import Channel, ChannelDelivery
from exstrat_app.models.channels import KIND_APPRISE, KIND_WEBPUSH
from exstrat_app.services.errors import Conflict, InvalidInput, NotFound, ServiceError
from exstrat_app.settings import Settings

SEALED_COLUMN = "channel"  # the associated data's column name
MAX_URL_LENGTH = 2000
MAX_LABEL_LENGTH = 100
MAX_CHANNELS_PER_USER = 20
TEST_TITLE = "exstrat test"
TEST_BODY = "This channel works: exstrat alerts will reach you here."


class ChannelFailed(ServiceError):
    """The channel's service did not take the message (a test send)."""

    status = 502
    code = "channel_failed"


@dataclass(frozen=True)
class ChannelView:
    id: str
    kind: str  # webpush | apprise
    label: str
    hint: str
    created_at: datetime


@dataclass(frozen=True)
class SendConfig:
    """What sending needs besides the channel: the VAPID key's home and contact."""

    data_dir: Path
    vapid_subject: str  # mailto:… or the site's https URL (RFC 8292 `sub`)

    @classmethod
    def from_settings(cls, settings: Settings) -> SendConfig:
        # RFC 8292: the push service's contact for us, our site (an https URL) or the sender.
        sender = settings.email_from.rsplit("<", 1)[-1].rstrip(">").strip()
        public = settings.public_url
        subject = public if public.startswith("https://") else f"mailto:{sender}"
        return cls(data_dir=settings.ensure_data_dir(), vapid_subject=subject)


def view_of(channel: Channel) -> ChannelView:
    return ChannelView(
        id=channel.id,
        kind=channel.kind,
        label=channel.label,
        hint=channel.hint,
        created_at=channel.created_at,
    )


def _fingerprint(user_id: str, secret: str) -> str:
    return hashlib.sha256(f"{user_id}\x00{secret}".encode()).hexdigest()


def _label(label: str | None, default: str) -> str:
    text = (label or "").strip() or default
    if len(text) > MAX_LABEL_LENGTH:
        raise InvalidInput(
            f"A label is at most {MAX_LABEL_LENGTH} characters.", fields={"label": "too long"}
        )
    return text


def _make_room(session: Session, user_id: str) -> None:
    count = len(session.exec(select(Channel.id).where(Channel.user_id == user_id)).all())
    if count >= MAX_CHANNELS_PER_USER:
        raise Conflict(f"At most {MAX_CHANNELS_PER_USER} channels: remove one first.")


def _existing(session: Session, user_id: str, fingerprint: str) -> Channel | None:
    return session.exec(
        select(Channel).where(Channel.user_id == user_id, Channel.fingerprint == fingerprint)
    ).first()


def _store(
    session: Session, box: SecretBox, *, user_id: str, kind: str, label: str, hint: str, secret: str
) -> Channel:
    channel = Channel(
        user_id=user_id,
        kind=kind,
        label=label,
        hint=hint,
        secret_enc=b"",
        key_id=box.current_key_id,
        fingerprint=_fingerprint(user_id, secret),
    )
    channel.secret_enc = box.seal(secret, row_id=channel.id, column=SEALED_COLUMN)
    session.add(channel)
    session.flush()
    return channel


def add_apprise_channel(
    session: Session, box: SecretBox, *, user_id: str, url: str, label: str | None = None
) -> ChannelView:
    """Keep an Apprise URL (sealed). Refuses a URL Apprise does not understand, and the same
    URL twice. The caller commits."""
    url = (url or "").strip()
    if not url:
        raise InvalidInput("Enter an Apprise URL.", fields={"url": "required"})
    if len(url) > MAX_URL_LENGTH or any(ch.isspace() for ch in url):
        raise InvalidInput("This is not an Apprise URL.", fields={"url": "invalid"})
    target = describe(url)
    if target is None:
        raise InvalidInput(
            "Apprise does not understand this URL (e.g. tgram://token/chat, ntfy://topic, "
            "json://host/path).",
            fields={"url": "unsupported"},
        )
    if _existing(session, user_id, _fingerprint(user_id, url)) is not None:
        raise Conflict("This URL is already one of your channels.")
    _make_room(session, user_id)
    # Only the scheme is shown again: in most services the host or path is the token.
    hint = f"{target.service} ({target.scheme}://…)"[:60]
    channel = _store(
        session,
        box,
        user_id=user_id,
        kind=KIND_APPRISE,
        label=_label(label, target.service),
        hint=hint,
        secret=url,
    )
    return view_of(channel)


def _key(value: str, field: str, size: int) -> str:
    """A subscription key as the browser sends it (base64url), checked for its size."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError, TypeError):
        raw = b""
    if len(raw) != size:
        raise InvalidInput("This push subscription is not valid.", fields={field: "invalid"})
    return value


def add_push_subscription(
    session: Session,
    box: SecretBox,
    *,
    user_id: str,
    endpoint: str,
    p256dh: str,
    auth: str,
    label: str | None = None,
) -> ChannelView:
    """Keep a browser's push subscription (sealed). The same subscription again returns its
    channel (a page reload subscribes again). The caller commits."""
    endpoint = (endpoint or "").strip()
    parts = urlsplit(endpoint)
    if len(endpoint) > MAX_URL_LENGTH or parts.scheme not in ("https", "http") or not parts.netloc:
        raise InvalidInput("This push subscription is not valid.", fields={"endpoint": "invalid"})
    # RFC 8291: the browser's P-256 public key (65 bytes uncompressed) and a 16-byte secret.
    subscription = Subscription(endpoint, _key(p256dh, "p256dh", 65), _key(auth, "auth", 16))
    secret = subscription_to_json(subscription)
    existing = _existing(session, user_id, _fingerprint(user_id, secret))
    if existing is not None:
        return view_of(existing)
    _make_room(session, user_id)
    channel = _store(
        session,
        box,
        user_id=user_id,
        kind=KIND_WEBPUSH,
        label=_label(label, "This browser"),
        hint=f"web push ({parts.hostname or 'browser'})"[:60],
        secret=secret,
    )
    return view_of(channel)


def list_channels(session: Session, user_id: str) -> list[ChannelView]:
    rows = session.exec(
        select(Channel)
        .where(Channel.user_id == user_id)
        .order_by(col(Channel.created_at), col(Channel.id))
    )
    return [view_of(c) for c in rows]


def _owned(session: Session, user_id: str, channel_id: str) -> Channel:
    channel = session.get(Channel, channel_id)
    if channel is None or channel.user_id != user_id:
        raise NotFound("No such channel.")
    return channel


def remove_channel(session: Session, *, user_id: str, channel_id: str) -> None:
    """Forget a channel and its deliveries. The caller commits."""
    channel = _owned(session, user_id, channel_id)
    session.execute(delete(ChannelDelivery).where(col(ChannelDelivery.channel_id) == channel.id))
    session.delete(channel)
    session.flush()


def open_secret(channel: Channel, box: SecretBox) -> str:
    return box.open(
        channel.secret_enc, key_id=channel.key_id, row_id=channel.id, column=SEALED_COLUMN
    )


def send_to_channel(
    channel: Channel, box: SecretBox, config: SendConfig, *, title: str, body: str, url: str
) -> None:
    """One message on one channel; raises PushFailed/PushGone/AppriseFailed (words only)."""
    secret = open_secret(channel, box)
    if channel.kind == KIND_WEBPUSH:
        payload: dict[str, Any] = {"title": title, "body": body, "url": url}
        send_push(
            subscription_from_json(secret),
            payload,
            data_dir=config.data_dir,
            subject=config.vapid_subject,
        )
    else:
        send_apprise(secret, title=title, body=body)


def send_test_message(
    session: Session, box: SecretBox, config: SendConfig, *, user_id: str, channel_id: str
) -> ChannelView:
    """Send a test message now (the person is waiting for it); ChannelFailed in words."""
    channel = _owned(session, user_id, channel_id)
    try:
        send_to_channel(channel, box, config, title=TEST_TITLE, body=TEST_BODY, url="/channels")
    except (PushFailed, AppriseFailed) as exc:
        raise ChannelFailed(f"The test did not go through: {exc}.") from None
    return view_of(channel)
