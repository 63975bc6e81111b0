"""Throttling of sign-in and sign-up (`limits`, moving windows in Redis, shared by every process).

Per client IP: `AUTH_PER_IP` attempts (login and sign-up counted separately).

Failed logins are counted per *email and IP*, so a stranger cannot lock the owner out:
- after `LOGIN_FAILURES_PER_EMAIL_IP` (5/15 min) failures for one email from one IP, that IP is
  refused for that email (even with the right password) until the window frees up;
- `LOGIN_FAILURES_PER_EMAIL` (50/hour) failures for one email from *all* IPs together (a
  distributed guess) close the email to IPs that never signed in to it; a *known device* (an IP
  that signed in to this email successfully in the last `KNOWN_DEVICE_WINDOW`, 30 days) still
  gets in with the right password.
A success clears that IP's failures for the email and marks the IP as known for it.

The storage is built once per process by the composition root (`bootstrap.limits_storage`)
from the Redis URL; the API's rate limit shares it. Keys hold digests, never an address.
"""

from __future__ import annotations

import hashlib
import math
import time

from limits import RateLimitItem, parse
from limits.storage import Storage
from limits.strategies import MovingWindowRateLimiter

from exstrat_app.i18n import N_
from exstrat_app.services.errors import TooManyRequests

AUTH_PER_IP = "20/5minute"
LOGIN_FAILURES_PER_EMAIL_IP = "5/15minute"
LOGIN_FAILURES_PER_EMAIL = "50/hour"
KNOWN_DEVICE_WINDOW = "1000/30day"

TOO_MANY_FROM_IP = N_("Too many attempts from your network; please wait and try again.")
TOO_MANY_FOR_EMAIL = N_("Too many failed sign-ins for this email; please wait and try again.")


def limits_storage_uri(redis_url: str) -> str:
    """The `limits` storage URI for a redis-py URL (`unix://` becomes `redis+unix://`)."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://") :]
    return redis_url


def retry_after_seconds(limiter: MovingWindowRateLimiter, item: RateLimitItem, *ids: str) -> int:
    stats = limiter.get_window_stats(item, *ids)
    return max(1, math.ceil(stats.reset_time - time.time()))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class AuthThrottle:
    """Per-IP attempts, per-(email, IP) and per-email failures, known devices."""

    def __init__(
        self,
        storage: Storage,
        *,
        per_ip: str = AUTH_PER_IP,
        failures_per_email_ip: str = LOGIN_FAILURES_PER_EMAIL_IP,
        failures_per_email: str = LOGIN_FAILURES_PER_EMAIL,
    ) -> None:
        self.limiter = MovingWindowRateLimiter(storage)
        self.per_ip = parse(per_ip)
        self.per_email_ip = parse(failures_per_email_ip)
        self.per_email = parse(failures_per_email)
        self.known = parse(KNOWN_DEVICE_WINDOW)

    def hit_ip(self, action: str, ip: str) -> None:
        ids = (f"auth-{action}-ip", ip or "unknown")
        if not self.limiter.hit(self.per_ip, *ids):
            raise TooManyRequests(
                TOO_MANY_FROM_IP, retry_after=retry_after_seconds(self.limiter, self.per_ip, *ids)
            )

    def _pair(self, email: str, ip: str) -> tuple[str, str]:
        return "auth-login-email-ip", _digest(f"{email}\n{ip or 'unknown'}")

    def _email(self, email: str) -> tuple[str, str]:
        return "auth-login-email", _digest(email)

    def _known(self, email: str, ip: str) -> tuple[str, str]:
        return "auth-known-device", _digest(f"{email}\n{ip or 'unknown'}")

    def is_known_device(self, email: str, ip: str) -> bool:
        stats = self.limiter.get_window_stats(self.known, *self._known(email, ip))
        return stats.remaining < self.known.amount

    def check(self, email: str, ip: str) -> None:
        """TooManyRequests when this IP may not try this email now."""
        pair = self._pair(email, ip)
        if not self.limiter.test(self.per_email_ip, *pair):
            raise TooManyRequests(
                TOO_MANY_FOR_EMAIL,
                retry_after=retry_after_seconds(self.limiter, self.per_email_ip, *pair),
            )
        whole = self._email(email)
        if not self.limiter.test(self.per_email, *whole) and not self.is_known_device(email, ip):
            raise TooManyRequests(
                TOO_MANY_FOR_EMAIL,
                retry_after=retry_after_seconds(self.limiter, self.per_email, *whole),
            )

    def record_failure(self, email: str, ip: str) -> None:
        self.limiter.hit(self.per_email_ip, *self._pair(email, ip))
        self.limiter.hit(self.per_email, *self._email(email))

    def record_success(self, email: str, ip: str) -> None:
        self.limiter.clear(self.per_email_ip, *self._pair(email, ip))
        self.limiter.clear(self.known, *self._known(email, ip))
        self.limiter.hit(self.known, *self._known(email, ip))
