"""Accounts (docs/sign-up.md): sign-up, sign-in with its failed-attempt bookkeeping, look-up.

`register` is the sign-up that does not tell whether an email is taken (docs/sign-up.md): a
taken email gets the same answer as a new one (a made-up id that was never stored), costs the
same bcrypt time, and `tell_signup_outcome` emails the owner instead, at most once a day
(signup_notices.py); a new account waits for its emailed confirmation link (confirmation.py)
before it can sign in.

The caller owns the unit of work: these add and flush, never commit.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from redis import Redis
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from exstrat_app.i18n import DEFAULT_LOCALE, N_, Msg, render
from exstrat_app.infra import mail
from exstrat_app.models import User, new_id
from exstrat_app.services.auth import confirmation, signup_notices
from exstrat_app.services.auth.passwords import (
    dummy_hash,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from exstrat_app.services.auth.throttle import AuthThrottle
from exstrat_app.services.errors import Conflict, InvalidInput, NotFound, Unauthorized
from exstrat_app.settings import Settings

log = logging.getLogger(__name__)

EMAIL_MAX_CHARS = 254
BAD_CREDENTIALS = N_("Email or password is incorrect.")
SOME_FIELDS_INVALID = N_("Some fields are invalid.")

# WHATWG-style address (what <input type=email> accepts) with a dotted domain.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_EMAIL_RE = re.compile(rf"^[a-z0-9.!#$%&'*+/=?^_`{{|}}~-]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def validate_email(email: str) -> str:
    """The normalised email, or InvalidInput with `fields.email`."""
    norm = normalise_email(email)
    if not norm:
        required = N_("Email is required.")
        raise InvalidInput(N_("Enter your email address."), fields={"email": required})
    if len(norm) > EMAIL_MAX_CHARS:
        msg = N_("Email must be at most {n} characters.", n=EMAIL_MAX_CHARS)
        raise InvalidInput(msg, fields={"email": msg})
    if not _EMAIL_RE.fullmatch(norm):
        msg = N_("Enter a valid email address, like name@example.com.")
        raise InvalidInput(msg, fields={"email": msg})
    return norm


def _validated(email: str, password: str) -> str:
    """The normalised email, or InvalidInput with every bad field."""
    fields: dict[str, str] = {}  # Msgs: the API renders them
    try:
        norm = validate_email(email)
    except InvalidInput as exc:
        norm = ""
        fields.update(exc.fields)
    problem = password_problem(password, user_inputs=[norm] if norm else [])
    if problem:
        fields["password"] = problem
    if fields:
        message = next(iter(fields.values())) if len(fields) == 1 else SOME_FIELDS_INVALID
        raise InvalidInput(message, fields=fields)
    return norm


@dataclass(frozen=True)
class SignupOutcome:
    """What a sign-up did. The answer to the stranger is the same in every case; what differs
    is the email: `confirmation_token` set -> send the confirmation link (a new account, or
    an unconfirmed one signed up again); `waiting` without a token -> an unconfirmed account
    whose link went out lately: no email; `created`, `confirmed` and `waiting` all False ->
    the email belongs to a confirmed account (`user_id` is then a made-up id, nothing was
    stored): tell the owner. `confirmed`: the new account may sign in now (the first account
    of an instance, or confirmation is off)."""

    user_id: str
    email: str
    created: bool
    confirmed: bool = False
    confirmation_token: str | None = None
    waiting: bool = False
    locale: str | None = None  # the owner's saved language, for the "someone tried" notice


def _first_account(session: Session) -> bool:
    """No account but the demo's yet: the instance's owner is signing up."""
    return session.exec(select(User.id).where(User.is_demo == False).limit(1)).first() is None  # noqa: E712


def register(
    session: Session, *, email: str, password: str, require_confirmation: bool = True
) -> SignupOutcome:
    """Create an account, answering the same whether or not the email is taken.

    With `require_confirmation` the account waits for its emailed link (confirmation.py),
    except the instance's first account: nobody else's address can be learnt from an empty
    instance, and its owner may have no mail set up yet. An unconfirmed account signed up
    again takes the new password (the one who confirms chose it), and a new link when none
    went out in the last RESEND_AFTER_SECONDS; else the link already in the inbox stays the
    live one. InvalidInput for bad fields (those answers depend on the input only). Flushes
    in a savepoint, so a concurrent sign-up of the same email is the taken case too."""
    norm = _validated(email, password)
    password_hash = hash_password(password)  # spent either way: same time when taken
    existing = session.exec(select(User).where(User.email == norm)).first()
    if existing is None:
        confirmed = not require_confirmation or _first_account(session)
        user = User(email=norm, password_hash=password_hash)
        try:
            with session.begin_nested():
                session.add(user)
                session.flush()
                if not confirmed:
                    # After the insert: a None at insert time is the column default's cue.
                    user.email_confirmed_at = None
                    session.flush()
        except IntegrityError:
            pass
        else:
            token = None if confirmed else confirmation.issue_link(session, user.id)
            return SignupOutcome(
                user_id=user.id, email=norm, created=True, confirmed=confirmed,
                confirmation_token=token,
            )  # fmt: skip
    elif not confirmation.is_confirmed(existing):
        existing.password_hash = password_hash
        session.add(existing)
        token = confirmation.issue_link(session, existing.id, only_if_quiet=True)
        return SignupOutcome(
            user_id=new_id(), email=norm, created=False, confirmation_token=token, waiting=True
        )
    owner_locale = existing.locale if existing is not None else None  # None: lost a race
    return SignupOutcome(user_id=new_id(), email=norm, created=False, locale=owner_locale)


def tell_signup_outcome(
    settings: Settings, outcome: SignupOutcome, *, redis: Redis, locale: str | None = None
) -> None:
    """The one email of a sign-up, if any: the confirmation link in the sign-up's language
    (`locale`: the request's, read by the caller before the answer went), or the owner's
    notice in the owner's saved language (at most one per address per day: `redis` keeps the
    turns)."""
    if outcome.confirmation_token:
        confirmation.send_link(settings, outcome.email, outcome.confirmation_token, locale=locale)
    elif not outcome.created and not outcome.waiting:
        if not signup_notices.claim_notice(redis, outcome.email):
            return
        if not tell_owner_of_signup_attempt(settings, outcome.email, locale=outcome.locale):
            signup_notices.release_notice(redis, outcome.email)


SIGNUP_ATTEMPT_SUBJECT = N_("Someone tried to create an exstrat account with your email")


def signup_attempt_text(public_url: str) -> Msg:
    return N_(
        "Someone (perhaps you) tried to create a new exstrat account with this email address,\n"
        "which already has an account. Nothing was changed and no new account was made.\n\n"
        "If it was you, sign in at {login_url} instead.\n"
        "If it was not, you can ignore this email: your account and password are unchanged.\n",
        login_url=f"{public_url.rstrip('/')}/login",
    )


def tell_owner_of_signup_attempt(settings: Settings, email: str, *, locale: str | None) -> bool:
    """Email the owner of a taken address that someone tried to sign up with it, in the
    owner's `locale` (None: English); whether it went. Best effort: a mail failure is logged
    (without the address), never raised."""
    loc = locale or DEFAULT_LOCALE
    try:
        mail.send_email(
            to=email,
            subject=render(SIGNUP_ATTEMPT_SUBJECT, loc),
            text=render(signup_attempt_text(settings.public_url), loc),
            settings=settings,
        )
    except Exception:  # a notice must never fail the sign-up answer
        log.warning("could not send the sign-up attempt notice", exc_info=True)
        return False
    return True


def signup(session: Session, *, email: str, password: str) -> User:
    """Create an account. InvalidInput (fields email/password), Conflict if the email is taken.

    For internal callers (the demo seed); what answers a stranger uses `register`."""
    norm = _validated(email, password)
    taken = Conflict(
        N_("An account with this email already exists."),
        fields={"email": N_("This email is already registered.")},
    )
    if session.exec(select(User.id).where(User.email == norm)).first() is not None:
        raise taken
    user = User(email=norm, password_hash=hash_password(password))
    session.add(user)
    try:
        # Flushed here, not at the caller's commit, so a concurrent sign-up that won the
        # race is still answered with Conflict (the caller's unit of work rolls back).
        session.flush()
    except IntegrityError:
        raise taken from None
    return user


def authenticate(session: Session, *, email: str, password: str) -> User:
    """The user with this email and password, else Unauthorized (same message either way)."""
    norm = normalise_email(email)
    user = None
    if norm and len(norm) <= EMAIL_MAX_CHARS:
        user = session.exec(select(User).where(User.email == norm)).first()
    if user is None:
        verify_password(password or "", dummy_hash())  # spend the same time as a real check
        raise Unauthorized(BAD_CREDENTIALS)
    if not verify_password(password or "", user.password_hash):
        raise Unauthorized(BAD_CREDENTIALS)
    if needs_rehash(user.password_hash):  # upgrade old hashes on sign-in
        user.password_hash = hash_password(password)
        session.add(user)
    return user


def login(session: Session, *, email: str, password: str, ip: str, throttle: AuthThrottle) -> User:
    """`authenticate` behind the per-IP and per-email throttles (TooManyRequests)."""
    norm = normalise_email(email)
    throttle.hit_ip("login", ip)
    throttle.check(norm, ip)
    try:
        user = authenticate(session, email=norm, password=password)
    except Unauthorized:
        throttle.record_failure(norm, ip)
        raise
    throttle.record_success(norm, ip)
    return user


def get_user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("User not found."))
    return user
