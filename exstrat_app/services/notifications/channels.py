"""A user's delivery channels: add (web push subscription, Apprise URL), list, remove.

Every destination is a user's instruction to our server: the outbound guard checks it here
(a 422 that says why) and again at every send (docs/outbound.md). The secret part of a
channel (the push subscription with its keys, the Apprise URL with its token) is sealed with
the secret box, the channel id and `channel` as associated data (see `models.channels`); the
list shows a label and a masked hint, never the secret again. The fan-out of a fired alert to
these channels is `channel_delivery`; a test send goes through the queue (`channel_tests`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete
from sqlmodel import Session, col, select

from exstrat_app.i18n import N_, _, render
from exstrat_app.infra.apprise_sender import AppriseRefused, describe, send_apprise
from exstrat_app.infra.crypto import SecretBox
from exstrat_app.infra.db.types import utcnow
from exstrat_app.infra.outbound import OutboundPolicy, OutboundRefused, check_destination
from exstrat_app.infra.webpush import (
    Subscription,
    send_push,
    subscription_from_json,
    subscription_to_json,
)
from exstrat_app.models import Channel, ChannelDelivery
from exstrat_app.models.channels import KIND_APPRISE, KIND_WEBPUSH
from exstrat_app.services.errors import Conflict, InvalidInput, NotFound
from exstrat_app.settings import Settings

log = logging.getLogger(__name__)

SEALED_COLUMN = "channel"  # the associated data's column name
MAX_URL_LENGTH = 2000
MAX_LABEL_LENGTH = 100
MAX_CHANNELS_PER_USER = 20
# A test still queued after this never finished (a lost job, a killed worker): it is shown
# as failed and no longer counts as on its way (channel_tests).
TEST_STALE_AFTER = timedelta(seconds=120)
TEST_UNFINISHED = N_("The test did not finish: try again.")


@dataclass(frozen=True)
class ChannelView:
    id: str
    kind: str  # webpush | apprise
    label: str
    hint: str
    created_at: datetime
    test_state: str | None = None  # queued | sent | failed (the last test send)
    test_message: str | None = None
    test_requested_at: datetime | None = None


@dataclass(frozen=True)
class SendConfig:
    """What sending needs besides the channel: the VAPID key's home and contact."""

    data_dir: Path
    vapid_subject: str  # mailto:… or the site's https URL (RFC 8292 `sub`)
    policy: OutboundPolicy  # what the owner allows besides public addresses

    @classmethod
    def from_settings(cls, settings: Settings) -> SendConfig:
        # RFC 8292: the push service's contact for us, our site (an https URL) or the sender.
        sender = settings.email_from.rsplit("<", 1)[-1].rstrip(">").strip()
        public = settings.public_url
        subject = public if public.startswith("https://") else f"mailto:{sender}"
        return cls(
            data_dir=settings.ensure_data_dir(),
            vapid_subject=subject,
            policy=outbound_policy(settings),
        )


def outbound_policy(settings: Settings) -> OutboundPolicy:
    """The owner's allow list; unreadable, it allows nothing more (and the log says why)."""
    try:
        return OutboundPolicy.parse(settings.outbound_allow)
    except ValueError as exc:
        log.error("%s: only public destinations are reached until it is corrected", exc)
        return OutboundPolicy()


def view_of(channel: Channel) -> ChannelView:
    state, message = channel.test_state, channel.test_message
    requested = channel.test_requested_at
    if state == "queued" and requested is not None and requested < utcnow() - TEST_STALE_AFTER:
        state, message = "failed", render(TEST_UNFINISHED)  # the reader's language
    return ChannelView(
        id=channel.id,
        kind=channel.kind,
        label=channel.label,
        hint=channel.hint,
        created_at=channel.created_at,
        test_state=state,
        test_message=message,
        test_requested_at=requested,
    )


def _fingerprint(user_id: str, secret: str) -> str:
    return hashlib.sha256(f"{user_id}\x00{secret}".encode()).hexdigest()


def _label(label: str | None, default: str) -> str:
    text = (label or "").strip() or default
    if len(text) > MAX_LABEL_LENGTH:
        raise InvalidInput(
            N_("A label is at most {n} characters.", n=MAX_LABEL_LENGTH),
            fields={"label": "too long"},
        )
    return text


def _make_room(session: Session, user_id: str) -> None:
    count = len(session.exec(select(Channel.id).where(Channel.user_id == user_id)).all())
    if count >= MAX_CHANNELS_PER_USER:
        raise Conflict(N_("At most {n} channels: remove one first.", n=MAX_CHANNELS_PER_USER))


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
    session: Session,
    box: SecretBox,
    *,
    user_id: str,
    url: str,
    policy: OutboundPolicy,
    label: str | None = None,
) -> ChannelView:
    """Keep an Apprise URL (sealed). Refuses a scheme we do not send to, a destination inside
    the network, a URL Apprise does not understand, and the same URL twice. The caller
    commits."""
    url = (url or "").strip()
    if not url:
        raise InvalidInput(N_("Enter an Apprise URL."), fields={"url": "required"})
    if len(url) > MAX_URL_LENGTH or any(ch.isspace() for ch in url):
        raise InvalidInput(N_("This is not an Apprise URL."), fields={"url": "invalid"})
    try:
        target = describe(url, policy)
    except AppriseRefused as exc:
        raise InvalidInput(
            N_(
                "This channel URL cannot be used: {reason} (e.g. tgram://token/chat, "
                "ntfy://topic, json://host/path).",
                reason=exc.args[0],
            ),
            fields={"url": "unsupported"},
        ) from None
    if _existing(session, user_id, _fingerprint(user_id, url)) is not None:
        raise Conflict(N_("This URL is already one of your channels."))
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
        raise InvalidInput(N_("This push subscription is not valid."), fields={field: "invalid"})
    return value


def add_push_subscription(
    session: Session,
    box: SecretBox,
    *,
    user_id: str,
    endpoint: str,
    p256dh: str,
    auth: str,
    policy: OutboundPolicy,
    label: str | None = None,
) -> ChannelView:
    """Keep a browser's push subscription (sealed). The same subscription again returns its
    channel (a page reload subscribes again). Refuses an endpoint inside the network. The
    caller commits."""
    endpoint = (endpoint or "").strip()
    parts = urlsplit(endpoint)
    if len(endpoint) > MAX_URL_LENGTH or parts.scheme not in ("https", "http") or not parts.netloc:
        raise InvalidInput(
            N_("This push subscription is not valid."), fields={"endpoint": "invalid"}
        )
    # RFC 8291: the browser's P-256 public key (65 bytes uncompressed) and a 16-byte secret.
    subscription = Subscription(endpoint, _key(p256dh, "p256dh", 65), _key(auth, "auth", 16))
    _check_endpoint(endpoint, policy)
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
        label=_label(label, _("This browser")),
        hint=f"web push ({parts.hostname or 'browser'})"[:60],
        secret=secret,
    )
    return view_of(channel)


def _check_endpoint(endpoint: str, policy: OutboundPolicy) -> None:
    parts = urlsplit(endpoint)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        check_destination(parts.hostname or "", port, policy)
    except (OutboundRefused, ValueError) as exc:
        raise InvalidInput(
            N_("This push endpoint cannot be used: {reason}.", reason=_why(exc)),
            fields={"endpoint": "refused"},
        ) from None


def _why(exc: Exception) -> object:
    return exc.args[0] if exc.args else type(exc).__name__


def list_channels(session: Session, user_id: str) -> list[ChannelView]:
    rows = session.exec(
        select(Channel)
        .where(Channel.user_id == user_id)
        .order_by(col(Channel.created_at), col(Channel.id))
    )
    return [view_of(c) for c in rows]


def owned_channel(session: Session, user_id: str, channel_id: str) -> Channel:
    channel = session.get(Channel, channel_id)
    if channel is None or channel.user_id != user_id:
        raise NotFound(N_("No such channel."))
    return channel


def remove_channel(session: Session, *, user_id: str, channel_id: str) -> None:
    """Forget a channel and its deliveries. The caller commits."""
    channel = owned_channel(session, user_id, channel_id)
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
    """One message on one channel, through the outbound guard; raises PushRefused/
    AppriseRefused (the destination is not allowed), PushGone, PushFailed/AppriseFailed."""
    secret = open_secret(channel, box)
    if channel.kind == KIND_WEBPUSH:
        payload: dict[str, Any] = {"title": title, "body": body, "url": url}
        send_push(
            subscription_from_json(secret),
            payload,
            data_dir=config.data_dir,
            subject=config.vapid_subject,
            policy=config.policy,
        )
    else:
        send_apprise(secret, title=title, body=body, policy=config.policy)
