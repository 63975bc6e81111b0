"""At most one "someone tried to sign up with your address" email per address per day.

Sign-up never tells a stranger whether an address is taken; it emails the address's owner
instead (users.tell_signup_outcome). Without a limit, anyone could send an owner one such
email per sign-up. `claim_notice` takes the address's turn: Redis `SET NX EX` on a key that
holds the SHA-256 of the normalised address (never the address), so every process shares it
and the key expires by itself. The rules are in docs/sign-up.md.
"""

from __future__ import annotations

import hashlib
import logging

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

NOTICE_WINDOW_SECONDS = 24 * 3600
_KEY_PREFIX = "exstrat:signup-notice:"


def notice_key(email: str) -> str:
    """The Redis key of an address's turn: a digest, so Redis never holds the address."""
    digest = hashlib.sha256(email.strip().lower().encode("utf-8", "replace")).hexdigest()
    return _KEY_PREFIX + digest


def claim_notice(redis: Redis, email: str, *, window_seconds: int = NOTICE_WINDOW_SECONDS) -> bool:
    """True when no notice went to `email` in the last `window_seconds` (the turn is now
    taken). False otherwise, and when Redis cannot be asked: better no notice than a flood."""
    try:
        return bool(redis.set(notice_key(email), b"1", nx=True, ex=window_seconds))
    except (RedisError, OSError):
        log.warning("sign-up notice not sent: Redis unavailable")
        return False


def release_notice(redis: Redis, email: str) -> None:
    """Give the turn back (the notice could not be sent): the next attempt may tell the owner."""
    try:
        redis.delete(notice_key(email))
    except (RedisError, OSError):
        log.warning("sign-up notice turn not released: Redis unavailable")
