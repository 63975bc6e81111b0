"""Accounts (SPEC §5): sign-up, sign-in with its failed-attempt bookkeeping, look-up.

The caller owns the unit of work: these add and flush, never commit.
"""

from __future__ import annotations

import re

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from exstrat_app.models import User
from exstrat_app.services.auth.passwords import (
    dummy_hash,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from exstrat_app.services.auth.throttle import AuthThrottle
from exstrat_app.services.errors import Conflict, InvalidInput, NotFound, Unauthorized

EMAIL_MAX_CHARS = 254
BAD_CREDENTIALS = "Email or password is incorrect."

# WHATWG-style address (what <input type=email> accepts) with a dotted domain.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_EMAIL_RE = re.compile(rf"^[a-z0-9.!#$%&'*+/=?^_`{{|}}~-]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def validate_email(email: str) -> str:
    """The normalised email, or InvalidInput with `fields.email`."""
    norm = normalise_email(email)
    if not norm:
        raise InvalidInput("Enter your email address.", fields={"email": "Email is required."})
    if len(norm) > EMAIL_MAX_CHARS:
        msg = f"Email must be at most {EMAIL_MAX_CHARS} characters."
        raise InvalidInput(msg, fields={"email": msg})
    if not _EMAIL_RE.fullmatch(norm):
        msg = "Enter a valid email address, like name@example.com."
        raise InvalidInput(msg, fields={"email": msg})
    return norm


def signup(session: Session, *, email: str, password: str) -> User:
    """Create an account. InvalidInput (fields email/password), Conflict if the email is taken."""
    fields: dict[str, str] = {}
    try:
        norm = validate_email(email)
    except InvalidInput as exc:
        norm = ""
        fields.update(exc.fields)
    problem = password_problem(password)
    if problem:
        fields["password"] = problem
    if fields:
        message = next(iter(fields.values())) if len(fields) == 1 else "Some fields are invalid."
        raise InvalidInput(message, fields=fields)

    taken = Conflict(
        "An account with this email already exists.",
        fields={"email": "This email is already registered."},
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
    throttle.check_email(norm)
    try:
        user = authenticate(session, email=norm, password=password)
    except Unauthorized:
        throttle.record_failure(norm)
        raise
    throttle.clear_email(norm)
    return user


def get_user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("User not found.")
    return user
