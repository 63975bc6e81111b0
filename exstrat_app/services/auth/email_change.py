"""Changing the sign-in email (docs/account.md): asked with the password, done by a link
sent to the new address.

`request_email_change` checks the new address's shape, then the password (the lock shared
by every change that asks for it), then the user's limit (`EMAIL_CHANGES_PER_USER`, each
request sends two emails). It always drops the user's older links (the newest wins) and
tells the old address; when the new address is free it makes a link (single use, valid
`EMAIL_CHANGE_TTL_SECONDS`, its SHA-256 stored); when it is another account's, nothing is
stored and the new address is told it is in use. The answer is the same either way, so the
form tells nobody which addresses have an account.

`confirm_email_change` is the link's use, by the signed-in owner of the account (a link
opened by a mail scanner, or in someone else's session, changes nothing and stays usable).
The caller owns the unit of work and sends the emails after it commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from limits import parse
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from exstrat_app import i18n
from exstrat_app.i18n import N_, Msg
from exstrat_app.infra.db.types import utcnow
from exstrat_app.models import EmailChange, User
from exstrat_app.services.auth import account_mail
from exstrat_app.services.auth.link_tokens import key_digest, new_token, plausible, token_digest
from exstrat_app.services.auth.password_change import DEMO_REFUSED
from exstrat_app.services.auth.reauth import SensitivePasswordThrottle, confirm_password
from exstrat_app.services.auth.throttle import AuthThrottle, retry_after_seconds
from exstrat_app.services.auth.users import validate_email
from exstrat_app.services.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    ServiceError,
    TooManyRequests,
)
from exstrat_app.settings import Settings

EMAIL_CHANGE_TTL_SECONDS = 24 * 3600
CONFIRM_PATH = "/api/auth/email/confirm"
EMAIL_CHANGES_PER_USER = "5/hour"
_CHANGES_ITEM = parse(EMAIL_CHANGES_PER_USER)
NEW_EMAIL = "newEmail"  # the field of `POST /api/auth/email/change`

SAME_EMAIL = N_("This is already your sign-in email.")
TOO_MANY = N_("Too many email changes asked for in the last hour; try again later.")
LINK_INVALID = N_(
    "This email change link does not work: it expired, was already used, a newer one was "
    "sent, or it belongs to another account. Nothing was changed."
)


def sent_message(new_email: str) -> Msg:
    """The answer to a request, the same whether the new address is free or taken."""
    return N_(
        "We sent a link to {new_email}: open it to make it your sign-in email. Until then "
        "your sign-in email stays as it is.",
        new_email=new_email,
    )


class EmailLinkInvalid(ServiceError):
    status = 400
    code = "link_invalid"


@dataclass(frozen=True)
class EmailChangeRequest:
    """What to email: `token` None means the new address is another account's. Languages:
    `locale` the account's saved one (None: English), for the notice to the old address;
    `link_locale` for the link to the new address, which has no account yet: the account's
    saved one, else the request's; `taken_locale` that of the account holding the new
    address."""

    old_email: str
    new_email: str
    token: str | None
    locale: str | None = None
    link_locale: str | None = None
    taken_locale: str | None = None


@dataclass(frozen=True)
class EmailChangeOutcome:
    """A used link: `changed` False when the address became another account's meanwhile."""

    old_email: str
    new_email: str
    changed: bool


def confirm_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}{CONFIRM_PATH}?token={token}"


def _new_address(new_email: str, current: str) -> str:
    try:
        norm = validate_email(new_email)
    except InvalidInput as exc:
        message = exc.fields.get("email", exc.message)
        raise InvalidInput(message, fields={NEW_EMAIL: message}) from None
    if norm == current:
        raise InvalidInput(SAME_EMAIL, fields={NEW_EMAIL: SAME_EMAIL})
    return norm


def _count_request(limits: AuthThrottle | None, user_id: str) -> None:
    if limits is None:
        return
    ids = ("account-email-change", key_digest(user_id))
    if not limits.limiter.hit(_CHANGES_ITEM, *ids):
        wait = retry_after_seconds(limits.limiter, _CHANGES_ITEM, *ids)
        raise TooManyRequests(TOO_MANY, retry_after=wait)


def _issue(session: Session, user_id: str, new_email: str) -> str:
    now = utcnow()
    token = new_token()
    session.add(
        EmailChange(
            token_hash=token_digest(token),
            user_id=user_id,
            new_email=new_email,
            expires_at=now + timedelta(seconds=EMAIL_CHANGE_TTL_SECONDS),
            created_at=now,
        )
    )
    session.flush()
    return token


def request_email_change(
    session: Session,
    user_id: str,
    *,
    new_email: str,
    password: str,
    password_throttle: SensitivePasswordThrottle | None,
    limits: AuthThrottle | None,
) -> EmailChangeRequest:
    """Ask to move the account to `new_email`: what to email (see the module's doc)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("User not found."))
    if user.is_demo:
        raise Conflict(DEMO_REFUSED)
    norm = _new_address(new_email, user.email)
    confirm_password(session, user_id, password, throttle=password_throttle)
    _count_request(limits, user_id)
    session.exec(delete(EmailChange).where(EmailChange.user_id == user_id))  # type: ignore[call-overload]
    holder = session.exec(select(User).where(User.email == norm)).first()
    token = None if holder is not None else _issue(session, user_id, norm)
    return EmailChangeRequest(
        old_email=user.email, new_email=norm, token=token,
        locale=user.locale, link_locale=user.locale or i18n.current_locale(),
        taken_locale=holder.locale if holder is not None else None,
    )  # fmt: skip


def send_change_emails(settings: Settings, request: EmailChangeRequest) -> None:
    """The link (or "already in use") to the new address, the notice to the old one."""
    hours = EMAIL_CHANGE_TTL_SECONDS // 3600
    if request.token is None:
        subject, text = account_mail.EMAIL_TAKEN_SUBJECT, account_mail.email_taken_text(settings)
        locale = request.taken_locale
    else:
        url = confirm_url(settings.public_url, request.token)
        subject, text = (
            account_mail.EMAIL_CONFIRM_SUBJECT,
            account_mail.email_confirm_text(url, hours),
        )
        locale = request.link_locale
    account_mail.send(settings, to=request.new_email, subject=subject, text=text, locale=locale)
    notice = account_mail.email_notice_text(settings, request.new_email, hours)
    account_mail.send(
        settings, to=request.old_email, subject=account_mail.EMAIL_NOTICE_SUBJECT, text=notice,
        locale=request.locale,
    )  # fmt: skip


def _spend(session: Session, token_hash: str) -> None:
    spent = session.exec(  # type: ignore[call-overload]
        delete(EmailChange)
        .where(EmailChange.token_hash == token_hash)  # type: ignore[arg-type]
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:  # a concurrent request used it first
        raise EmailLinkInvalid(LINK_INVALID)


def _move(session: Session, user: User, new_email: str) -> bool:
    """Set the address; False when another account holds it (also one inserted just now)."""
    if session.exec(select(User.id).where(User.email == new_email)).first() is not None:
        return False
    try:
        with session.begin_nested():
            user.email = new_email
            session.add(user)
            session.flush()
    except IntegrityError:
        session.refresh(user)
        return False
    return True


def confirm_email_change(session: Session, user_id: str, *, token: str) -> EmailChangeOutcome:
    """Use a link as the signed-in user `user_id`. EmailLinkInvalid for an unknown, used,
    replaced or expired link, or one of another account (left as it is)."""
    if not plausible(token):
        raise EmailLinkInvalid(LINK_INVALID)
    row = session.get(EmailChange, token_digest(token))
    if row is None or row.user_id != user_id or row.expires_at <= utcnow():
        raise EmailLinkInvalid(LINK_INVALID)
    user = session.get(User, user_id)
    if user is None:
        raise EmailLinkInvalid(LINK_INVALID)
    old_email, new_email = user.email, row.new_email
    _spend(session, row.token_hash)
    changed = _move(session, user, new_email)
    return EmailChangeOutcome(old_email=old_email, new_email=new_email, changed=changed)
