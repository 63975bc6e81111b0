"""Web push (RFC 8030 delivery, RFC 8291 aes128gcm payloads, RFC 8292 VAPID) over pywebpush.

The VAPID key pair is generated once into the data dir (`vapid_private.pem`, 0600) and kept:
every browser subscription is bound to its public key (the `applicationServerKey`), so a new
key would silently orphan them all. A push endpoint is a capability (whoever holds it with
the keys can message the person): nothing here logs it or puts it into an error.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

VAPID_FILE = "vapid_private.pem"
SEND_TIMEOUT_SECONDS = 10.0
# How long a push service keeps an undelivered alert for an offline device (a day).
TTL_SECONDS = 24 * 3600


class PushFailed(Exception):
    """The push service refused or could not be reached (words only: no endpoint)."""


class PushGone(PushFailed):
    """404/410: the subscription expired or was revoked; it will never work again."""


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
    subscription: Subscription, payload: dict[str, Any], *, data_dir: Path, subject: str
) -> None:
    """Encrypt `payload` (JSON) for the subscription and post it; raises PushGone/PushFailed.
    `subject` is the VAPID contact (`mailto:` or the site's https URL)."""
    try:
        webpush(
            subscription.as_info(),
            data=json.dumps(payload),
            vapid_private_key=vapid_key(data_dir),
            vapid_claims={"sub": subject},
            content_encoding="aes128gcm",
            timeout=SEND_TIMEOUT_SECONDS,
            ttl=TTL_SECONDS,
        )
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (404, 410):
            raise PushGone(f"the push service says the subscription is gone ({status})") from None
        raise PushFailed(f"the push service answered {status or 'with an error'}") from None
    except requests.RequestException as exc:
        # requests' messages carry the URL: keep only the kind of failure.
        raise PushFailed(f"the push service could not be reached ({type(exc).__name__})") from None


def subscription_from_json(text: str) -> Subscription:
    data = json.loads(text)
    return Subscription(data["endpoint"], data["keys"]["p256dh"], data["keys"]["auth"])


def subscription_to_json(subscription: Subscription) -> str:
    return json.dumps(subscription.as_info(), separators=(",", ":"))
