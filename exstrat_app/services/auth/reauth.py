"""The password asked again before a change that can move money or lock the owner out.

A session cookie alone must not be enough to: change a strategy's execution mode, add,
replace or remove a trading key, change the guardrails (kill switch, daily cap, paper mode),
or set up two-factor sign-in (a stolen cookie could enrol its own authenticator). Each of
these use cases calls `confirm_password` first (docs/sensitive-changes.md).

Wrong passwords are counted per user in ONE window shared by all of them, throttled like
sign-in (`services/auth/throttle.py`: `limits` moving windows in Redis, shared by every
process): `SENSITIVE_FAILURES_PER_USER` (5 per 15 minutes) wrong passwords lock every such
change (429, even with the right password) until the window frees up, so a stolen session
cannot guess the password by spreading its tries over several forms. A right password clears
the count. Keys hold the user id's digest only.
"""

from __future__ import annotations

import hashlib
import math

from limits import parse
from limits.storage import Storage
from limits.strategies import MovingWindowRateLimiter
from sqlmodel import Session

from exstrat_app.i18n import N_, Msg
from exstrat_app.models import User
from exstrat_app.services.auth.passwords import verify_password
from exstrat_app.services.auth.throttle import retry_after_seconds
from exstrat_app.services.errors import InvalidInput, TooManyRequests, Unauthorized

SENSITIVE_FAILURES_PER_USER = "5/15minute"
PASSWORD_MAX_CHARS = 4096
PASSWORD_REQUIRED = N_("Enter your password: this change needs it.")
WRONG_PASSWORD = N_("That is not your password: nothing was changed.")


def too_many_message(retry_after: int) -> Msg:
    minutes = max(1, math.ceil(retry_after / 60))
    if minutes == 1:
        return N_(
            "Too many wrong passwords: changes that need your password are locked for "
            "1 minute. Nothing was changed; try again later."
        )
    return N_(
        "Too many wrong passwords: changes that need your password are locked for "
        "{minutes} minutes. Nothing was changed; try again later.",
        minutes=minutes,
    )


class SensitivePasswordThrottle:
    """Per-user wrong-password count, shared by every change that asks for the password."""

    def __init__(self, storage: Storage, *, failures: str = SENSITIVE_FAILURES_PER_USER) -> None:
        self.limiter = MovingWindowRateLimiter(storage)
        self.item = parse(failures)

    def _ids(self, user_id: str) -> tuple[str, str]:
        return "sensitive-password", hashlib.sha256(user_id.encode()).hexdigest()[:32]

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


def confirm_password(
    session: Session,
    user_id: str,
    password: str,
    *,
    throttle: SensitivePasswordThrottle | None,
) -> None:
    """Return if `password` is the user's current one; else InvalidInput (422, none given),
    TooManyRequests (429, locked: checked before the password, so the lock holds even for
    the right one) or Unauthorized (401, wrong: counted). `throttle=None` counts nothing:
    for tests of the use cases alone; every entry point passes one."""
    if not password:
        raise InvalidInput(PASSWORD_REQUIRED, fields={"password": PASSWORD_REQUIRED})
    if throttle is not None:
        throttle.check(user_id)
    user = session.get(User, user_id)
    right = (
        user is not None
        and len(password) <= PASSWORD_MAX_CHARS
        and verify_password(password, user.password_hash)
    )
    if not right:
        if throttle is not None:
            throttle.record_failure(user_id)
        raise Unauthorized(WRONG_PASSWORD, fields={"password": WRONG_PASSWORD})
    if throttle is not None:
        throttle.record_success(user_id)
