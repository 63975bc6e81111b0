"""Sign-in hand-over for the Reflex pages (docs/architecture.md).

Reflex cannot set an httpOnly cookie, so the login form checks the password, calls
`create_login_ticket` (a random single-use ticket kept 60 s in Redis) and sends the browser
to `/api/auth/complete?ticket=...`, which calls `redeem_login_ticket` (GETDEL) and sets the
cookie.
"""

from __future__ import annotations

import re
import secrets

from redis import Redis

from exstrat_app.i18n import N_
from exstrat_app.services.errors import Unauthorized

LOGIN_TICKET_TTL_SECONDS = 60
LOGIN_TICKET_PREFIX = "login-ticket:"
TICKET_INVALID = N_("This sign-in link has expired or was already used; please sign in again.")

_TICKET_RE = re.compile(r"^[A-Za-z0-9_-]{20,128}$")


def create_login_ticket(*, user_id: str, redis: Redis) -> str:
    ticket = secrets.token_urlsafe(32)
    redis.set(LOGIN_TICKET_PREFIX + ticket, user_id, ex=LOGIN_TICKET_TTL_SECONDS, nx=True)
    return ticket


def redeem_login_ticket(*, ticket: str, redis: Redis) -> str:
    """The user id the ticket was made for; a ticket works once, within 60 s."""
    if not ticket or not _TICKET_RE.fullmatch(ticket):
        raise Unauthorized(TICKET_INVALID)
    value = redis.getdel(LOGIN_TICKET_PREFIX + ticket)
    if value is None:
        raise Unauthorized(TICKET_INVALID)
    return value.decode() if isinstance(value, bytes) else str(value)
