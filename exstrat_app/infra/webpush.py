"""Web push (RFC 8030 delivery, RFC 8291 aes128gcm payloads, RFC 8292 VAPID) over pywebpush.

The VAPID key pair is generated once into the data dir (`vapid_private.pem`, 0600) and kept:
every browser subscription is bound to its public key (the `applicationServerKey`), so a new
key would silently orphan them all. A push endpoint is a capability (whoever holds it with
the keys can message the person): nothing here logs it or puts it into an error.

The endpoint comes from the user's browser, so it is a destination a user supplies: the
outbound guard checks it when it is added and every connection of every send
(docs/outbound.md), no redirect is followed, and the error never says what the remote
answered (that would make the push test a port scanner).
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02, VapidException
from pywebpush import WebPushException, webpush

from exstrat_app.i18n import N_
from exstrat_app.infra.outbound import (
    OutboundPolicy,
    OutboundRefused,
    check_destination,
    guarded_sends,
)

VAPID_FILE = "vapid_private.pem"
SEND_TIMEOUT_SECONDS = 5.0
SEND_DEADLINE_SECONDS = 15.0
NOT_DELIVERED = N_("could not deliver to this channel")
TOO_SLOW = N_("the destination took too long")
# How long a push service keeps an undelivered alert for an offline device (a day).
TTL_SECONDS = 24 * 3600


class PushFailed(Exception):
    """The push service refused or could not be reached (words only: no endpoint)."""


class PushGone(PushFailed):
    """404/410: the subscription expired or was revoked; it will never work again."""


class PushRefused(PushFailed):
    """The endpoint's destination is not one we send to (the outbound guard said why)."""


@dataclass(frozen=True)
class Subscription:
    """What `PushManager.subscribe()` gives the page (`toJSON()`): where and how to encrypt."""

    endpoint: str
    p256dh: str
    auth: str

    def as_info(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def vapid_key(data_dir: Path) -> Vapid02:
    """The server's VAPID key, generated on first use (O_EXCL: concurrent processes agree)."""
    path = data_dir / VAPID_FILE
    if not path.exists():
        fresh = Vapid02()
        fresh.generate_keys()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process won the race: use its key
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(fresh.private_pem())
    return Vapid02.from_file(str(path))


def application_server_key(data_dir: Path) -> str:
    """The VAPID public key as the browser wants it: the raw P-256 point, base64url."""
    point = vapid_key(data_dir).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64url(point)


def send_push(
    subscription: Subscription,
    payload: dict[str, Any],
    *,
    data_dir: Path,
    subject: str,
    policy: OutboundPolicy,
) -> None:
    """Encrypt `payload` (JSON) for the subscription and post it within the deadline; raises
    PushGone/PushRefused/PushFailed. `subject` is the VAPID contact (`mailto:` or the site's
    https URL)."""
    key = vapid_key(data_dir)
    endpoint = urlsplit(subscription.endpoint)
    try:
        port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
        check_destination(endpoint.hostname or "", port, policy)
    except (OutboundRefused, ValueError) as exc:
        raise PushRefused(
            N_("this channel's destination is not allowed: {reason}", reason=exc.args[0])
        ) from None
    with guarded_sends(policy, seconds=SEND_DEADLINE_SECONDS) as scope:
        try:
            webpush(
                subscription.as_info(),
                data=json.dumps(payload),
                vapid_private_key=key,
                vapid_claims={"sub": subject},
                content_encoding="aes128gcm",
                timeout=SEND_TIMEOUT_SECONDS,
                ttl=TTL_SECONDS,
            )
            return
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (404, 410):
                raise PushGone(N_("the subscription has expired: subscribe again")) from None
        except (requests.RequestException, VapidException):
            pass  # requests' messages carry the URL and the remote's words: none of it shown
    if scope.refused:
        raise PushRefused(
            N_("this channel's destination is not allowed: {reason}", reason=scope.refused[0])
        )
    raise PushFailed(TOO_SLOW if scope.remaining() <= 0 else NOT_DELIVERED)


def subscription_from_json(text: str) -> Subscription:
    data = json.loads(text)
    return Subscription(data["endpoint"], data["keys"]["p256dh"], data["keys"]["auth"])


def subscription_to_json(subscription: Subscription) -> str:
    return json.dumps(subscription.as_info(), separators=(",", ":"))
