"""Throttling of sign-in and sign-up (`limits`, moving windows in Redis, shared by every process).

Per client IP: `AUTH_PER_IP` attempts (login and sign-up counted separately). Per email: after
`LOGIN_FAILURES_PER_EMAIL` failed logins the email is refused (even with the right password)
until the window frees up; a success clears it.

The storage is built once per process by the composition root (`bootstrap.limits_storage`)
from the Redis URL; the API's rate limit shares it.
"""

from __future__ import annotations

import hashlib
import math
import time

from limits import RateLimitItem, parse
from limits.storage import Storage
from limits.strategies import MovingWindowRateLimiter

from exstrat_app.services.errors import TooManyRequests

AUTH_PER_IP = "20/5minute"
LOGIN_FAILURES_PER_EMAIL = "5/15minute"


def limits_storage_uri(redis_url: str) -> str:
    """The `limits` storage URI for a redis-py URL (`unix://` becomes `redis+unix://`)."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://") :]
    return redis_url


def retry_after_seconds(limiter: MovingWindowRateLimiter, item: RateLimitItem, *ids: str) -> int:
    stats = limiter.get_window_stats(item, *ids)
    return max(1, math.ceil(stats.reset_time - time.time()))


def _email_key(email: str) -> str:
    # Keys hold a digest, not the address itself.
    return hashlib.sha256(email.encode()).hexdigest()[:32]


class AuthThrottle:
    """Per-IP attempts and per-email failures, as moving windows in the shared storage."""

    def __init__(
        self,
        storage: Storage,
        *,
        per_ip: str = AUTH_PER_IP,
        failures_per_email: str = LOGIN_FAILURES_PER_EMAIL,
    ) -> None:
        self.limiter = MovingWindowRateLimiter(storage)
        self.per_ip = parse(per_ip)
        self.per_email = parse(failures_per_email)

    def hit_ip(self, action: str, ip: str) -> None:
        ids = (f"auth-{action}-ip", ip or "unknown")
        if not self.limiter.hit(self.per_ip, *ids):
            raise TooManyRequests(
                "Too many attempts from your network; please wait and try again.",
                retry_after=retry_after_seconds(self.limiter, self.per_ip, *ids),
            )

    def check_email(self, email: str) -> None:
        ids = ("auth-login-email", _email_key(email))
        if not self.limiter.test(self.per_email, *ids):
            raise TooManyRequests(
                "Too many failed sign-ins for this email; please wait and try again.",
                retry_after=retry_after_seconds(self.limiter, self.per_email, *ids),
            )

    def record_failure(self, email: str) -> None:
        self.limiter.hit(self.per_email, "auth-login-email", _email_key(email))

    def clear_email(self, email: str) -> None:
        self.limiter.clear(self.per_email, "auth-login-email", _email_key(email))
