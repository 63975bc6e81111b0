"""The sign-in's second step for users with two-factor on (services/auth/totp.py).

After the right password such a user gets no session yet: `start_second_step` stores a random
pending ticket in Redis (`PENDING_TTL_SECONDS`, the user id inside) and the entry point asks
for a code. `finish_second_step` takes the ticket and a code: a right code spends the ticket
and returns the user id (the entry point then sets the session cookie, or makes the pages'
login ticket); a wrong one counts against the ticket, which dies after `MAX_CODE_TRIES`, and
against the user (totp.MAX_FAILURES). The ticket is worth nothing without the password step
before it, and nothing without a code after it.
"""

from __future__ import annotations

import re
import secrets

from redis import Redis
from sqlmodel import Session

from exstrat_app.i18n import N_
from exstrat_app.infra.crypto import SecretBox
from exstrat_app.models import User
from exstrat_app.services.auth import totp
from exstrat_app.services.errors import ServiceError, Unauthorized

PENDING_TTL_SECONDS = 300
PENDING_PREFIX = "totp-pending:"
MAX_CODE_TRIES = 5
PENDING_INVALID = N_("This sign-in has expired or had too many wrong codes; please sign in again.")

_TICKET_RE = re.compile(r"^[A-Za-z0-9_-]{20,128}$")


def needs_second_step(user: User) -> bool:
    return totp.is_enabled(user)


def start_second_step(*, user_id: str, redis: Redis) -> str:
    """A pending ticket for a user whose password was right and who has two-factor on."""
    ticket = secrets.token_urlsafe(32)
    key = PENDING_PREFIX + ticket
    pipe = redis.pipeline()
    pipe.hset(key, mapping={"user": user_id, "tries": 0})
    pipe.expire(key, PENDING_TTL_SECONDS)
    pipe.execute()
    return ticket


def finish_second_step(
    session: Session,
    box: SecretBox,
    redis: Redis,
    *,
    ticket: str,
    code: str,
    now: float | None = None,
) -> str:
    """The user id once the code is right (the ticket is spent); Unauthorized otherwise."""
    if not ticket or not _TICKET_RE.fullmatch(ticket):
        raise Unauthorized(PENDING_INVALID)
    key = PENDING_PREFIX + ticket
    raw = redis.hget(key, "user")
    if raw is None:
        raise Unauthorized(PENDING_INVALID)
    user_id = raw.decode() if isinstance(raw, bytes) else str(raw)
    try:
        totp.verify_code(session, box, redis, user_id, code, now=now)
    except ServiceError as exc:
        if exc.status == 401 and int(redis.hincrby(key, "tries", 1)) >= MAX_CODE_TRIES:
            redis.delete(key)
            raise Unauthorized(PENDING_INVALID) from None
        raise
    if not redis.delete(key):  # another request spent the ticket first
        raise Unauthorized(PENDING_INVALID)
    return user_id
