"""Forgotten password (docs/account.md): a link by email, then a new password.

`request_reset` answers nothing to its caller but whether to send a link: the entry points
give every address the same answer (`SENT`), send the link after the answer, and so tell no
stranger whether an address has an account. A link goes only to a confirmed, non-demo
account, at most `FORGOT_PER_ADDRESS` requests per address (counted for every address alike);
beyond, the answer is the same and nothing is sent.

A link (`issue_reset`) is single use, valid `RESET_TTL_SECONDS`, and only the newest one of
a user works (a new one deletes the older rows); only its SHA-256 is stored. `reset_password`
checks the link, then the password rule (a refused password keeps the link usable), spends
the link with a conditional DELETE (of two requests, one wins) and sets the password: every
session of the user ends, two-factor sign-in stays on. The caller owns the unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from limits import parse
from sqlalchemy import delete
from sqlmodel import Session, select

from exstrat_app.i18n import N_
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import PasswordReset, User
from exstrat_app.services.auth import account_mail
from exstrat_app.services.auth.confirmation import is_confirmed
from exstrat_app.services.auth.link_tokens import key_digest, new_token, plausible, token_digest
from exstrat_app.services.auth.password_change import new_password_problem, set_password
from exstrat_app.services.auth.throttle import AuthThrottle
from exstrat_app.services.auth.users import EMAIL_MAX_CHARS, normalise_email
from exstrat_app.services.errors import InvalidInput, ServiceError
from exstrat_app.settings import Settings

RESET_TTL_SECONDS = 3600
RESET_PATH = "/reset"
FORGOT_PER_ADDRESS = "5/hour"
_FORGOT_ITEM = parse(FORGOT_PER_ADDRESS)

SENT = N_(
    "If an account exists for this address, we sent it a link to choose a new password. "
    "The link works once, for one hour."
)
LINK_INVALID = N_(
    "This reset link does not work: it expired, was already used, or a newer one was sent. "
    "Ask for a new link."
)


class ResetLinkInvalid(ServiceError):
    """An unknown, used, replaced or expired reset link (one message for all of them)."""

    status = 400
    code = "link_invalid"


@dataclass(frozen=True)
class ResetLink:
    """A link to email: the account's address and the token (sent once, never stored), in
    the account's saved language (None: English)."""

    email: str
    token: str
    locale: str | None = None


def reset_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{RESET_PATH}?token={token}"


def _address_allowed(throttle: AuthThrottle | None, email: str) -> bool:
    """Count one request for this address; False beyond `FORGOT_PER_ADDRESS`."""
    if throttle is None:
        return True
    return bool(throttle.limiter.hit(_FORGOT_ITEM, "auth-forgot-email", key_digest(email)))


def issue_reset(session: Session, user_id: str) -> str:
    """A new reset token for the user; their older links stop working."""
    now = utcnow()
    session.exec(delete(PasswordReset).where(PasswordReset.user_id == user_id))  # type: ignore[call-overload]
    token = new_token()
    session.add(
        PasswordReset(
            token_hash=token_digest(token),
            user_id=user_id,
            expires_at=now + timedelta(seconds=RESET_TTL_SECONDS),
            created_at=now,
        )
    )
    session.flush()
    return token


def request_reset(
    session: Session, email: str, *, throttle: AuthThrottle | None
) -> ResetLink | None:
    """The link to send for a "forgot my password" request, or None (nothing to send: an
    unknown, unconfirmed or demo address, or the address's limit reached)."""
    norm = normalise_email(email)
    allowed = _address_allowed(throttle, norm)
    user = None
    if norm and len(norm) <= EMAIL_MAX_CHARS:
        user = session.exec(select(User).where(User.email == norm)).first()
    if not allowed or user is None or user.is_demo or not is_confirmed(user):
        return None
    return ResetLink(email=user.email, token=issue_reset(session, user.id), locale=user.locale)


def send_reset_link(settings: Settings, link: ResetLink) -> bool:
    text = account_mail.reset_text(
        reset_url(settings.public_url, link.token), RESET_TTL_SECONDS // 60
    )
    return account_mail.send(
        settings, to=link.email, subject=account_mail.RESET_SUBJECT, text=text, locale=link.locale
    )


def _live_row(session: Session, token: str) -> PasswordReset:
    if not plausible(token):
        raise ResetLinkInvalid(LINK_INVALID)
    row = session.get(PasswordReset, token_digest(token))
    if row is None or row.expires_at <= utcnow():
        raise ResetLinkInvalid(LINK_INVALID)
    return row


def _spend(session: Session, token_hash: str) -> None:
    spent = session.exec(  # type: ignore[call-overload]
        delete(PasswordReset)
        .where(PasswordReset.token_hash == token_hash)  # type: ignore[arg-type]
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:  # a concurrent request used it first
        raise ResetLinkInvalid(LINK_INVALID)


def reset_password(session: Session, *, token: str, password: str) -> User:
    """Set a new password with a reset link; the user (their sessions all ended).
    ResetLinkInvalid (400) for a link that does not work, InvalidInput (422, `password`)
    for a password the rule refuses: the link then stays usable."""
    row = _live_row(session, token)
    user = session.get(User, row.user_id)
    if user is None:
        raise ResetLinkInvalid(LINK_INVALID)
    problem = new_password_problem(password, user.email)
    if problem:
        raise InvalidInput(problem, fields={"password": problem})
    _spend(session, row.token_hash)
    if user.email_confirmed_at is None:
        # Only the owner's door links an unconfirmed account: the owner vouches for it.
        user.email_confirmed_at = utcnow()
    set_password(session, user, password, keep_jti="")
    return user
