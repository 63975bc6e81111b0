"""Email confirmation (docs/sign-up.md): the sign-up proves the address before the account is used.

`users.register` stores a new account unconfirmed and `issue_link` makes its link: a random
token whose SHA-256 alone is stored (`EmailConfirmation`), valid `LINK_TTL_SECONDS`, one live
link per user (a new one replaces the old). `confirm` takes the token *and the account's
password*: a link alone signs nobody in (a mail scanner that opens it does nothing), and
someone who signed up first with another person's address cannot have that person confirm
an account whose password the squatter knows (a sign-up again of an unconfirmed address
replaces its password, so the one who confirms is the one who chose it). The row is deleted by
a conditional DELETE: of two requests with the same link, one confirms.

Sign-in of an unconfirmed account (right password only) answers `CONFIRM_FIRST` and sends a
new link, and so does a sign-up again of its address; either way at most one link per
`RESEND_AFTER_SECONDS` per account (so per address), and in between the link already sent
stays the live one: nobody can have an inbox flooded with links (docs/sign-up.md). The caller
owns the unit of work.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import Session, select

from exstrat_app import i18n
from exstrat_app.i18n import N_, Msg, render
from exstrat_app.infra import mail
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import EmailConfirmation, User
from exstrat_app.services.auth.passwords import verify_password
from exstrat_app.services.errors import ServiceError, Unauthorized
from exstrat_app.settings import Settings

log = logging.getLogger(__name__)

LINK_TTL_SECONDS = 48 * 3600
# Sign-in and sign-up again share it: ten minutes lets a lost email be asked for again soon,
# and caps the links anyone can send to one address at six an hour.
RESEND_AFTER_SECONDS = 10 * 60
CONFIRM_PATH = "/confirm"

LINK_INVALID = N_("This confirmation link expired or was already used; sign in to get a new one.")
WRONG_PASSWORD = N_("The password is not right.")
CHECK_INBOX = N_(
    "Check your inbox: we sent a link to confirm the address. "
    "Open it and enter your password to finish."
)
CONFIRM_FIRST = N_(
    "Confirm your email address first: open the link we emailed you (check your spam folder "
    "too). A new one goes out at most every {minutes} minutes.",
    minutes=RESEND_AFTER_SECONDS // 60,
)
CONFIRM_SUBJECT = N_("Confirm your exstrat account")


class EmailUnconfirmed(ServiceError):
    """The right password for an account whose address is not confirmed yet."""

    status = 403
    code = "email_unconfirmed"


def is_confirmed(user: User) -> bool:
    return user.email_confirmed_at is not None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def issue_link(session: Session, user_id: str, *, only_if_quiet: bool = False) -> str | None:
    """A new confirmation token (sent once, never stored) replacing the user's old link.
    `only_if_quiet`: None when a link was made less than RESEND_AFTER_SECONDS ago."""
    now = utcnow()
    if only_if_quiet:
        recent = session.exec(
            select(EmailConfirmation.token_hash).where(
                EmailConfirmation.user_id == user_id,
                EmailConfirmation.created_at > now - timedelta(seconds=RESEND_AFTER_SECONDS),
            )
        ).first()
        if recent is not None:
            return None
    session.exec(delete(EmailConfirmation).where(EmailConfirmation.user_id == user_id))  # type: ignore[call-overload]
    token = secrets.token_urlsafe(32)
    session.add(
        EmailConfirmation(
            token_hash=_hash(token),
            user_id=user_id,
            expires_at=now + timedelta(seconds=LINK_TTL_SECONDS),
            created_at=now,
        )
    )
    session.flush()
    return token


def link_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{CONFIRM_PATH}?token={token}"


def confirmation_text(public_url: str, token: str) -> Msg:
    return N_(
        "Welcome to exstrat. To confirm this email address and sign in, open this link\n"
        "and enter the password you chose:\n\n"
        "{url}\n\n"
        "The link works once, for {hours} hours. If you did not sign up,\n"
        "ignore this email: without the link nobody can use the account.\n",
        url=link_url(public_url, token), hours=LINK_TTL_SECONDS // 3600,
    )  # fmt: skip


def send_link(settings: Settings, email: str, token: str, *, locale: str | None = None) -> None:
    """Email the link in `locale` (the account's saved language, else the language of the
    request that signed up or signed in; None: the current one, read now: call it before any
    background task). Best effort: a failure is logged (without address or token)."""
    loc = locale or i18n.current_locale()
    try:
        mail.send_email(
            to=email,
            subject=render(CONFIRM_SUBJECT, loc),
            text=render(confirmation_text(settings.public_url, token), loc),
            settings=settings,
        )
    except Exception:  # the answer must not depend on the mail server
        log.warning("could not send the confirmation email", exc_info=True)


def confirm(session: Session, *, token: str, password: str) -> User:
    """Confirm the address of the link's account with its password; the user (confirmed).

    Unauthorized with LINK_INVALID (unknown, expired or used link) or WRONG_PASSWORD (the
    link stays usable: a typo must not cost the person their link)."""
    if not token or len(token) > 200:
        raise Unauthorized(LINK_INVALID)
    digest = _hash(token)
    row = session.get(EmailConfirmation, digest)
    if row is None or row.expires_at <= utcnow():
        raise Unauthorized(LINK_INVALID)
    user = session.get(User, row.user_id)
    if user is None:
        raise Unauthorized(LINK_INVALID)
    if not verify_password(password or "", user.password_hash):
        raise Unauthorized(WRONG_PASSWORD, fields={"password": WRONG_PASSWORD})
    spent = session.exec(  # type: ignore[call-overload]
        delete(EmailConfirmation)
        .where(EmailConfirmation.token_hash == digest)  # type: ignore[arg-type]
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:  # a concurrent request used it first
        raise Unauthorized(LINK_INVALID)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        session.add(user)
    session.flush()
    return user
