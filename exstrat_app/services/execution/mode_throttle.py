"""Wrong passwords when changing a strategy's execution mode, throttled like sign-in
(`services/auth/throttle.py`: `limits` moving windows in Redis, shared by every process).

The mode decides whether exstrat may sell for the person, so the password asked again there
must not be guessable from a stolen session: `MODE_FAILURES_PER_USER` (5 per 15 minutes)
wrong passwords per user lock the mode change (429, even with the right password) until the
window frees up. A right password clears the count. Keys hold the user id's digest only.
"""

from __future__ import annotations

import hashlib
import math

from limits import parse
from limits.storage import Storage
from limits.strategies import MovingWindowRateLimiter

from exstrat_app.services.auth.throttle import retry_after_seconds
from exstrat_app.services.errors import TooManyRequests

MODE_FAILURES_PER_USER = "5/15minute"


def too_many_message(retry_after: int) -> str:
    minutes = max(1, math.ceil(retry_after / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return (
        "Too many wrong passwords: changing the execution mode is locked for "
        f"{minutes} {unit}. Nothing was changed; try again later."
    )


class ModePasswordThrottle:
    """Per-user wrong-password count for the execution mode change."""

    def __init__(self, storage: Storage, *, failures: str = MODE_FAILURES_PER_USER) -> None:
        self.limiter = MovingWindowRateLimiter(storage)
        self.item = parse(failures)

    def _ids(self, user_id: str) -> tuple[str, str]:
        return "exec-mode-password", hashlib.sha256(user_id.encode()).hexdigest()[:32]

    def check(self, user_id: str) -> None:
        """TooManyRequests while this user's wrong passwords fill the window."""
        ids = self._ids(user_id)
        if not self.limiter.test(self.item, *ids):
            wait = retry_after_seconds(self.limiter, self.item, *ids)
            raise TooManyRequests(too_many_message(wait), retry_after=wait)

    def record_failure(self, user_id: str) -> None:
        self.limiter.hit(self.item, *self._ids(user_id))

    def record_success(self, user_id: str) -> None:
        self.limiter.clear(self.item, *self._ids(user_id))
